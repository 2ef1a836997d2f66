"""Key operations: create, list, show, edit, activate / deactivate, rotate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement, Select, String, and_, case, delete, false, func, literal_column, or_, select, text, type_coerce
)
from sqlalchemy.orm import Session, selectinload

from keyconsole import hashing, moments, tokens
from keyconsole.errors import Conflict, InvalidInput, NotFound, StaleEdit
from keyconsole.models import USAGE_SINCE, ApiKey, KeyScope, KeyUsageHour, KeyUse, Scope
from keyconsole.service import audit_log, records, usage_window
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.key_query import SORT_COLUMNS, STATUS_FILTERS, UNCHANGED, KeyQuery, Unchanged
from keyconsole.service.policy import read_policy
from keyconsole.service.records import IssuedKey, KeyInfo
from keyconsole.service.validation import clean_name, clean_note, clean_owner, fold_name
from keyconsole.store.direct.key_columns import LISTED
from keyconsole.store.orm import Database, name_index

# On SQLite, up to this many name matches a filter reads them from the name index and sorts
# them; more, and reading names in order until a page is full is faster.
INDEXED_MATCHES_MAX = 2_000
# Up to this many owners a filter text starts are matched by value; more, by their range.
OWNERS_MAX = 100


def _info_of(key: ApiKey, now: datetime) -> KeyInfo:
    grace_until = records.grace_until(key.previous_hash is not None, key.previous_hash_until)
    return records.key_info(key, tuple(scope.name for scope in key.scopes), grace_until, now)


# What a listing shows of each key (records.KeyColumns), read as columns.
_LISTED = (
    *(getattr(ApiKey, column) for column in LISTED),
    ApiKey.previous_hash.is_not(None).label("has_previous_hash"),
)


def _check_version(key: ApiKey, expected_version: int | None) -> None:
    """Refuse a change based on an old read: the admin must see the new state first."""
    if expected_version is not None and key.version != expected_version:
        raise StaleEdit(f"the key {key.name!r} was changed by someone else meanwhile; reload it")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Switched(NamedTuple):
    """Keys a bulk switch changed (or, in a dry run, would change), and those already so."""

    changed: list[KeyInfo]
    already: list[KeyInfo]


class KeyService:
    def __init__(self, database: Database, actor: str, clock: Clock = utc_now) -> None:
        self._database = database
        self._actor = actor
        self._now = clock

    # -- reading ---------------------------------------------------------------------------

    def list(self, query: KeyQuery = KeyQuery(), *, limit: int | None = None, offset: int = 0) -> list[KeyInfo]:
        # Columns, not ORM objects, with the scopes aggregated in the same query: a page of
        # 200 keys in 5 ms instead of 13 (the console reads one on every scroll past the held rows).
        now = self._now()
        dialect = self._database.dialect
        with self._database.read() as session:
            columns = select(*_LISTED, literal_column(dialect.scope_names_sql).label("scope_names"))
            statement = self._ordered(self._filtered(session, columns, query, now), query, offset, limit, now)
            return [
                records.key_info(
                    row,
                    dialect.scope_names(row.scope_names),
                    records.grace_until(row.has_previous_hash, row.previous_hash_until),
                    now,
                )
                for row in session.execute(statement)
            ]

    def count(self, query: KeyQuery = KeyQuery()) -> int:
        with self._database.read() as session:
            return session.scalar(self._filtered(session, select(func.count(ApiKey.id)), query, self._now())) or 0

    def any_scope(self) -> bool:
        """Whether a key could be made at all: the empty keys table's hint depends on it."""
        with self._database.read() as session:
            return session.scalar(select(Scope.id).limit(1)) is not None

    def last_day_usage(self, public_ids: Sequence[str]) -> dict[str, tuple[int, ...]]:
        """The calls per hour of each key named that was verified in the last day
        (service/usage_window.py): what the keys table draws for the rows it holds."""
        now = self._now()
        statement = (
            # The hour as the driver hands it: day_series_by_key converts each distinct one once.
            select(ApiKey.public_id, type_coerce(KeyUsageHour.hour, String), KeyUsageHour.calls())
            .join(ApiKey, ApiKey.id == KeyUsageHour.key_id)
            .where(ApiKey.public_id.in_(public_ids), KeyUsageHour.hour >= usage_window.day_start(now))
        )
        with self._database.read() as session:
            return usage_window.day_series_by_key(session.execute(statement), now)  # type: ignore[arg-type]

    def get(self, ref: str) -> KeyInfo:
        with self._database.read() as session:
            return _info_of(self._find(session, ref), self._now())

    @staticmethod
    def _ordered(statement: Select[Any], query: KeyQuery, offset: int, limit: int | None, now: datetime) -> Select[Any]:
        for name, descending in query.order:
            column = getattr(ApiKey, name)
            statement = statement.order_by(column.desc() if descending else column.asc())
        if query.sort == "usage":
            statement = statement.params({USAGE_SINCE: usage_window.day_start(now)})
        return statement.offset(offset).limit(limit)

    def _filtered(self, session: Session, statement: Select[Any], query: KeyQuery, now: datetime) -> Select[Any]:
        if query.status not in STATUS_FILTERS:
            raise InvalidInput(f"unknown status {query.status!r}: use one of {', '.join(STATUS_FILTERS)}")
        if query.sort not in SORT_COLUMNS:
            raise InvalidInput(f"unknown sort {query.sort!r}: use one of {', '.join(SORT_COLUMNS)}")
        not_expired = or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now)
        # The active flag is compared as a value, not looked up in its index: with two values
        # the index holds most of the table, and the planner took it and sorted every match
        # (a view's first page at a million keys: 370 ms). Read in the listing's order, a page
        # of matches comes after a few hundred rows.
        switched_on = case((ApiKey.active, 1), else_=0)
        if query.status == "active":
            statement = statement.where(switched_on == 1, not_expired)
        elif query.status == "inactive":
            statement = statement.where(switched_on == 0)
        elif query.status == "expired":
            statement = statement.where(switched_on == 1, ApiKey.expires_at <= now)
        if query.expiring_within is not None:
            horizon = _moved(now, query.expiring_within)
            statement = statement.where(ApiKey.expires_at > now, ApiKey.expires_at <= horizon)
        if query.unused_for is not None:
            cutoff = _moved(now, -query.unused_for)
            statement = statement.where(func.coalesce(ApiKey.last_used_at, ApiKey.created_at) <= cutoff)
        if query.owner is not None:
            statement = statement.where(ApiKey.owner_folded == fold_name(query.owner.strip()))
        if query.search and query.search.strip():
            statement = statement.where(or_(*self._text_matches(session, query.search.strip())))
        return statement

    def _text_matches(self, session: Session, term: str) -> list[ColumnElement[bool]]:
        """A filter text matches part of a name, the start of a key id (``kc_`` may be left
        out), part of a scope name or the start of an owner."""
        if "\x00" in term:
            # No name, id or scope holds a NUL, and PostgreSQL refuses one in any text value.
            return [false()]
        folded = fold_name(term)
        pattern = f"%{_escape_like(folded)}%"
        # The scopes table is tiny: read the matching ids first, and look at each key's
        # links only when there are any.
        scope_ids = list(session.scalars(select(Scope.id).where(Scope.name.like(pattern, escape="\\"))))
        matches: list[ColumnElement[bool]] = [
            self._name_contains(session, folded, pattern),
            self._starts_with(ApiKey.public_id, term if term.startswith(tokens.PREFIX) else tokens.PREFIX + term),
        ]
        # Owners too are read first, from their index: most filter texts start no owner, and
        # then the query stays as fast as before owners existed (an OR on a range made SQLite
        # gather and sort every match: 450 ms for '7' in a million keys instead of 30).
        owner_start = self._starts_with(ApiKey.owner_folded, folded)
        owners = list(session.scalars(select(ApiKey.owner_folded).where(owner_start).distinct().limit(OWNERS_MAX + 1)))
        if owners:
            matches.append(owner_start if len(owners) > OWNERS_MAX else ApiKey.owner_folded.in_(owners))
        if scope_ids:
            matches.append(
                select(KeyScope.key_id).where(KeyScope.key_id == ApiKey.id, KeyScope.scope_id.in_(scope_ids)).exists()
            )
        return matches

    def _name_contains(self, session: Session, folded: str, pattern: str) -> ColumnElement[bool]:
        """The name part of a filter, shaped so the store can use its name index
        (store/orm/name_index.py) for a rare text and read names in order for a common one."""
        like = ApiKey.name_folded.like(pattern, escape="\\")
        if self._database.dialect.plans_name_index:
            # The planner chooses between pg_trgm's index and the names' order by itself, but
            # for a LIKE with no trigram in it, it would read the whole trigram index (614 ms
            # for "zq" in a million keys). Without bitmap scans, for this transaction only, it
            # scans the table in parallel instead (168 ms).
            if not name_index.usable_for(folded, self._database.dialect.name):
                session.execute(text("SET LOCAL enable_bitmapscan = off"))
            return like
        # SQLite's planner cannot weigh the FTS5 index, so a capped count decides: up to
        # INDEXED_MATCHES_MAX names come from the index (then sorted), more are found as fast
        # by reading names in order until a page is full, which also keeps the sort free.
        indexed = (
            self._database.has_name_index
            and name_index.usable_for(folded, self._database.dialect.name)
            and (session.scalar(name_index.count_up_to(folded, INDEXED_MATCHES_MAX + 1)) or 0)
            <= INDEXED_MATCHES_MAX
        )
        return and_(ApiKey.id.in_(name_index.candidate_ids(folded)), like) if indexed else like

    def _starts_with(self, column: Any, start: str) -> ColumnElement[bool]:
        # Key ids are case-sensitive, and owners are compared folded. On SQLite a range over
        # the column's index does it (its LIKE ignores case and cannot use the index);
        # PostgreSQL's LIKE matches case exactly, and a range there would follow the column's
        # locale collation (the owner's index is text_pattern_ops, migration 0007).
        if self._database.dialect.like_ignores_case:
            following = start[:-1] + chr(ord(start[-1]) + 1)
            return and_(column >= start, column < following)
        return column.startswith(start, autoescape=True)

    @staticmethod
    def _find(session: Session, ref: str, *, for_update: bool = False) -> ApiKey:
        text = ref.strip()
        presented = tokens.parse(text)
        if presented is not None or (text.startswith(tokens.PREFIX) and len(text) > tokens.KEY_LENGTH // 2):
            # Never echo it back: the error would carry the secret into logs and scrollback.
            hint = f" (its id is {presented.public_id})" if presented is not None else ""
            raise InvalidInput(
                "that looks like a whole key: name a key by its name or its id, never by the key"
                f" itself{hint}; treat this key as exposed if it was typed on a command line"
            )
        if tokens.is_public_id(text):
            condition = ApiKey.public_id == text
        else:
            condition = ApiKey.name_folded == fold_name(text)
        statement = select(ApiKey).where(condition).options(selectinload(ApiKey.scopes))
        if for_update:
            statement = statement.with_for_update()
        key = session.scalars(statement).first()
        if key is None:
            raise NotFound(f"no key named or with id {ref!r}")
        return key

    # -- changing --------------------------------------------------------------------------

    def create(
        self,
        name: str,
        scopes: Iterable[str],
        *,
        active: bool = True,
        expires_at: datetime | None = None,
        owner: str | None = None,
        note: str | None = None,
    ) -> IssuedKey:
        clean = clean_name(name)
        owner, note = clean_owner(owner), clean_note(note)
        now = self._now()
        self._check_expiry(expires_at, now)
        public_id, secret = tokens.new_public_id(), tokens.new_secret()
        # Hash before taking the write lock: argon2 is the slow part.
        secret_hash = hashing.hash_secret(secret)
        with self._database.write() as session:
            self._check_name_free(session, clean)
            expires_at = read_policy(session).expiry_for(expires_at, now, default_when_none=True)
            key = ApiKey(
                public_id=public_id,
                name=clean,
                name_folded=fold_name(clean),
                secret_hash=secret_hash,
                active=active,
                created_at=now,
                updated_at=now,
                expires_at=expires_at,
                created_by=self._actor,
                owner=owner,
                owner_folded=None if owner is None else fold_name(owner),
                note=note,
                scopes=self._scopes_by_name(session, scopes),
            )
            session.add(key)
            session.flush()
            audit_log.record(
                session,
                at=now,
                actor=self._actor,
                action="key.create",
                key=key,
                details={
                    "scopes": [s.name for s in key.scopes],
                    "active": active,
                    "expires_at": expires_at,
                    **({"owner": owner} if owner is not None else {}),
                    **({"note": note} if note is not None else {}),
                },
            )
            info = _info_of(key, now)
        return IssuedKey(info, tokens.assemble(public_id, secret))

    def edit(
        self,
        ref: str,
        *,
        name: str | None = None,
        scopes: Sequence[str] | None = None,
        add_scopes: Sequence[str] = (),
        remove_scopes: Sequence[str] = (),
        expires_at: datetime | None | Unchanged = UNCHANGED,
        active: bool | None = None,
        owner: str | None | Unchanged = UNCHANGED,
        note: str | None | Unchanged = UNCHANGED,
        expected_version: int | None = None,
    ) -> KeyInfo:
        """Change what is given; refuse with StaleEdit if the key moved past ``expected_version``.
        An empty ``owner`` or ``note`` clears it."""
        clean = None if name is None else clean_name(name)
        owner = owner if isinstance(owner, Unchanged) else clean_owner(owner)
        note = note if isinstance(note, Unchanged) else clean_note(note)
        now = self._now()
        if not isinstance(expires_at, Unchanged):
            self._check_expiry(expires_at, now)
        with self._database.write() as session:
            key = self._find(session, ref, for_update=True)
            _check_version(key, expected_version)
            changes: dict[str, Any] = {}
            if clean is not None and clean != key.name:
                if fold_name(clean) != key.name_folded:
                    self._check_name_free(session, clean)
                changes["name"] = [key.name, clean]
                key.name, key.name_folded = clean, fold_name(clean)
            new_scopes = self._edited_scopes(session, key, scopes, add_scopes, remove_scopes)
            if new_scopes is not None:
                changes["scopes"] = [[s.name for s in key.scopes], [s.name for s in new_scopes]]
                key.scopes = new_scopes
            if not isinstance(expires_at, Unchanged) and expires_at != key.expires_at:
                expires_at = read_policy(session).expiry_for(expires_at, now, default_when_none=False)
                changes["expires_at"] = [key.expires_at, expires_at]
                key.expires_at = expires_at
            if active is not None and active != key.active:
                changes["active"] = [key.active, active]
                key.active = active
            if not isinstance(owner, Unchanged) and owner != key.owner:
                changes["owner"] = [key.owner, owner]
                key.owner, key.owner_folded = owner, None if owner is None else fold_name(owner)
            if not isinstance(note, Unchanged) and note != key.note:
                changes["note"] = [key.note, note]
                key.note = note
            if not changes:
                return _info_of(key, now)
            key.updated_at = now
            session.flush()
            action = "key.edit"
            if set(changes) == {"active"}:
                action = "key.activate" if active else "key.deactivate"
            audit_log.record(session, at=now, actor=self._actor, action=action, key=key, details=changes)
            return _info_of(key, now)

    def set_active(self, ref: str, active: bool, *, expected_version: int | None = None) -> KeyInfo:
        return self.edit(ref, active=active, expected_version=expected_version)

    def set_active_many(
        self, refs: Sequence[str], active: bool, *, dry_run: bool = False,
        because: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Switched:
        """Switch several keys on or off in one transaction: all of them, or on any error
        (an unknown key, a clash) none. One audit event per key that changed, with
        ``because[public id]`` among its details; ``dry_run`` says what would change and
        writes nothing."""
        if not refs:
            raise InvalidInput("name at least one key")
        with self._database.write() as session:
            keys: dict[int, ApiKey] = {}
            for ref in refs:
                key = self._find(session, ref, for_update=True)
                keys.setdefault(key.id, key)
            return self._switch(session, list(keys.values()), active, dry_run=dry_run, because=because)

    def deactivate_unused(self, unused_for: timedelta, *, dry_run: bool = False) -> Switched:
        """Switch off every active key not used for ``unused_for`` (never used: since its
        creation), read and changed in one transaction so a key used meanwhile is spared."""
        now = self._now()
        with self._database.write() as session:
            query = KeyQuery(status="active", unused_for=unused_for)
            statement = self._filtered(session, select(ApiKey), query, now).options(selectinload(ApiKey.scopes))
            keys = list(session.scalars(statement.order_by(ApiKey.id).with_for_update()))
            return self._switch(session, keys, False, dry_run=dry_run)

    def _switch(
        self, session: Session, keys: list[ApiKey], active: bool, *, dry_run: bool,
        because: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Switched:
        now = self._now()
        changing = [key for key in keys if key.active != active]
        already = [_info_of(key, now) for key in keys if key.active == active]
        if dry_run:
            return Switched([_info_of(key, now) for key in changing], already)
        for key in changing:
            key.active, key.updated_at = active, now
            session.flush()
            audit_log.record(
                session, at=now, actor=self._actor, action="key.activate" if active else "key.deactivate",
                key=key, details={"active": [not active, active], **(because or {}).get(key.public_id, {})},
            )
        return Switched([_info_of(key, now) for key in changing], already)

    def delete_many(self, refs: Sequence[str], *, expected_versions: dict[str, int] | None = None) -> list[KeyInfo]:
        """Remove inactive keys, all of them or, on any error (an unknown or an active key,
        a key changed since the caller read it), none. The audit keeps their history: one
        ``key.delete`` event each; a deleted key verifies as unknown."""
        if not refs:
            raise InvalidInput("name at least one key")
        now = self._now()
        with self._database.write() as session:
            keys: dict[int, ApiKey] = {}
            for ref in refs:
                key = self._find(session, ref, for_update=True)
                keys.setdefault(key.id, key)
            for key in keys.values():
                if key.active:
                    raise Conflict(f"the key {key.name!r} ({key.public_id}) is active: deactivate it first, then delete it")
                _check_version(key, (expected_versions or {}).get(key.public_id))
            deleted = []
            for key in keys.values():
                deleted.append(_info_of(key, now))
                audit_log.record(
                    session,
                    at=now,
                    actor=self._actor,
                    action="key.delete",
                    key=key,
                    details={"scopes": [scope.name for scope in key.scopes], "created_at": key.created_at},
                )
                session.delete(key)
            session.execute(delete(KeyUse).where(KeyUse.key_id.in_(list(keys))))
            return deleted

    def rotate(self, ref: str, *, grace: timedelta = timedelta(0), expected_version: int | None = None) -> IssuedKey:
        """A new secret for the same key; the old one keeps working for ``grace``, then never."""
        if grace < timedelta(0):
            raise InvalidInput("the grace period cannot be negative")
        now = self._now()
        secret = tokens.new_secret()
        secret_hash = hashing.hash_secret(secret)
        with self._database.write() as session:
            key = self._find(session, ref, for_update=True)
            _check_version(key, expected_version)
            if grace > timedelta(0):
                key.previous_hash, key.previous_hash_until = key.secret_hash, now + grace
            else:
                key.previous_hash, key.previous_hash_until = None, None
            key.secret_hash = secret_hash
            key.updated_at = now
            details: dict[str, Any] = {"grace_seconds": int(grace.total_seconds())}
            lifetime = read_policy(session).max_lifetime
            if lifetime is not None:
                # A rotated key starts a new lifetime under the policy.
                details["expires_at"] = [key.expires_at, now + lifetime]
                key.expires_at = now + lifetime
            session.flush()
            audit_log.record(session, at=now, actor=self._actor, action="key.rotate", key=key, details=details)
            info = _info_of(key, now)
        return IssuedKey(info, tokens.assemble(info.public_id, secret))

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("the expiry is in the past")

    @staticmethod
    def _check_name_free(session: Session, name: str) -> None:
        taken = session.scalar(select(ApiKey.name).where(ApiKey.name_folded == fold_name(name)))
        if taken is not None:
            raise Conflict(f"a key named {taken!r} already exists")

    @staticmethod
    def _scopes_by_name(session: Session, names: Iterable[str]) -> list[Scope]:
        wanted = sorted({name.strip() for name in names if name.strip()})
        if not wanted:
            raise InvalidInput("a key needs at least one scope")
        found = {s.name: s for s in session.scalars(select(Scope).where(Scope.name.in_(wanted)))}
        unknown = [name for name in wanted if name not in found]
        if unknown:
            raise InvalidInput(
                f"unknown scope {unknown[0]!r}" + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")
                + "; list them with: keyconsole scopes list"
            )
        return [found[name] for name in wanted]

    def _edited_scopes(
        self,
        session: Session,
        key: ApiKey,
        replace: Sequence[str] | None,
        add: Sequence[str],
        remove: Sequence[str],
    ) -> list[Scope] | None:
        if replace is None and not add and not remove:
            return None
        names = set(replace) if replace is not None else {s.name for s in key.scopes}
        not_held = sorted({n.strip() for n in remove} - names)
        if not_held:
            raise InvalidInput(f"the key {key.name!r} does not hold the scope {not_held[0]!r}")
        names = (names | {n.strip() for n in add}) - {n.strip() for n in remove}
        new = self._scopes_by_name(session, names)
        return None if [s.name for s in new] == [s.name for s in key.scopes] else new



def _moved(moment: datetime, by: timedelta) -> datetime:
    """``moment + by``, held at the calendar's ends rather than overflowing (``--unused-for 9999999d``)."""
    try:
        return moment + by
    except OverflowError:
        return (datetime.max if by > timedelta(0) else datetime.min).replace(tzinfo=UTC)
