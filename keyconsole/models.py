"""SQLAlchemy 2.0 typed models: the shape of a keyconsole store.

The Alembic revisions under ``keyconsole/store/migrations`` create exactly these tables;
``tests/test_migrations.py`` compares the two so they cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship

from keyconsole import moments


# The bound parameter of ApiKey.calls_24h: the start of the day it counts.
USAGE_SINCE = "usage_since"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the column (keyconsole/moments.py)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else moments.to_column(value)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return moments.maybe_from_column(value)


class Base(DeclarativeBase):
    pass


class Scope(Base):
    __tablename__ = "scopes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KeyScope(Base):
    __tablename__ = "key_scopes"

    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    scope_id: Mapped[int] = mapped_column(
        ForeignKey("scopes.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class KeyUse(Base):
    """When a key was last used (migration 0010): the one table a verifier writes.

    Not a column of api_keys: a role that may update a row may also lock it (SELECT ... FOR
    UPDATE) and so hold up a deactivation. No foreign key either, which would have the
    verifier's writes lock the key row they point at.
    """

    __tablename__ = "key_uses"

    key_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class _KeyUsage:
    """Verifies of one key in one period (migration 0012), by outcome."""

    key_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    accepted: Mapped[int] = mapped_column(BigInteger, server_default="0")
    inactive: Mapped[int] = mapped_column(BigInteger, server_default="0")
    missing_scope: Mapped[int] = mapped_column(BigInteger, server_default="0")
    wrong_secret: Mapped[int] = mapped_column(BigInteger, server_default="0")
    throttled: Mapped[int] = mapped_column(BigInteger, server_default="0")

    @classmethod
    def calls(cls) -> ColumnElement[int]:
        """Every verify the row counts, whatever it ended as."""
        return cls.accepted + cls.inactive + cls.missing_scope + cls.wrong_secret + cls.throttled


class KeyUsageHour(_KeyUsage, Base):
    """Per UTC hour, kept 14 days (service/usage_flush.py prunes)."""

    __tablename__ = "key_usage_hours"

    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True, index=True)


class KeyUsageDay(_KeyUsage, Base):
    """Per UTC day, kept 400 days."""

    __tablename__ = "key_usage_days"

    day: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True, index=True)


class KeyChange(Base):
    """One change that can alter a verdict, numbered in commit order (migration 0011):
    the public ids it touched, or None for any key. Written by PostgreSQL's triggers only,
    read by verifying processes (store/direct/change_feed.py)."""

    __tablename__ = "key_changes"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    public_ids: Mapped[str | None] = mapped_column(Text)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # service.validation.fold_name of the name: uniqueness and lookups ignore case and
    # compatibility forms the same way on every backend.
    name_folded: Mapped[str] = mapped_column(String(400), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    # After a rotation with a grace period the old secret keeps working until this instant.
    previous_hash: Mapped[str | None] = mapped_column(String(200))
    previous_hash_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Every column the keys table sorts by is indexed (migration 0002).
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_used_at: Mapped[datetime | None] = column_property(
        select(KeyUse.last_used_at).where(KeyUse.key_id == id).correlate_except(KeyUse).scalar_subquery()
    )
    # Verifies in the current UTC hour and the 23 before (migration 0012), for the "usage"
    # sort; where that day begins is a parameter the listing gives (service/keys.py).
    calls_24h: Mapped[int] = column_property(
        select(func.coalesce(func.sum(KeyUsageHour.calls()), 0))
        .where(KeyUsageHour.key_id == id, KeyUsageHour.hour >= bindparam(USAGE_SINCE, type_=UTCDateTime()))
        .correlate_except(KeyUsageHour)
        .scalar_subquery(),
        deferred=True,
    )
    created_by: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Who to ask before touching the key, and what it is for (migration 0007); the filter
    # matches the start of the owner, folded as names are.
    owner: Mapped[str | None] = mapped_column(String(100))
    owner_folded: Mapped[str | None] = mapped_column(String(400), index=True)
    note: Mapped[str | None] = mapped_column(String(500))

    scopes: Mapped[list[Scope]] = relationship(secondary="key_scopes", order_by=Scope.name)

    __mapper_args__ = {"version_id_col": version}
    # The filter's LIKE reads name and public id from this index alone (migration 0002).
    __table_args__ = (Index("ix_api_keys_search", "name_folded", "public_id"),)


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(40))
    # Public id and name as they were: the audit outlives renames.
    key_public_id: Mapped[str | None] = mapped_column(String(32), index=True)
    key_name: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # On PostgreSQL the database role that wrote the event, set by a trigger from
    # session_user (migration 0006); ``actor`` is the OS user the client reported.
    db_role: Mapped[str | None] = mapped_column(String(128))


class KeyconsoleGrant(Base):
    """A role keyconsole granted rights to (store/direct/grants.py), granted again after migrations."""

    __tablename__ = "keyconsole_grants"

    role: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))


class LifetimePolicy(Base):
    """One row (migration 0008): how long keys may live (service/policy.py)."""

    __tablename__ = "keyconsole_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    max_lifetime_seconds: Mapped[int | None] = mapped_column(Integer)
    require_expiry: Mapped[bool] = mapped_column(Boolean)


class AuditHead(Base):
    """One row: the hash of the newest audit event.

    Writers lock this row (SELECT ... FOR UPDATE on PostgreSQL, the write lock on SQLite)
    so two concurrent changes can never both chain onto the same predecessor.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
