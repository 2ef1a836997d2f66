"""The columns of a key's row that the reads below SQLAlchemy select by name: the one list
of each, which the ORM listing reads too and `models.ApiKey` maps (tests/test_migrations.py
holds the model, the raw SQL and the row tuples to them). Imports nothing.
"""

from __future__ import annotations

# What a listing shows of each key, in store/direct/listing.py's KeyRow order.
LISTED = (
    "public_id", "name", "active", "created_at", "updated_at", "expires_at", "last_used_at",
    "created_by", "version", "previous_hash_until", "owner", "note",
)
# What verification needs of a key's row, in store/direct/key_lookup.py's KeyState order (its
# scopes follow, aggregated).
LOOKED_UP = ("id", "active", "expires_at", "secret_hash", "previous_hash", "previous_hash_until")
# Columns kept outside api_keys (migration 0010), as the raw SQL reads them by the same name.
ELSEWHERE = {"last_used_at": "(SELECT u.last_used_at FROM key_uses u WHERE u.key_id = api_keys.id) AS last_used_at"}
# A key's usage counts per period (migration 0012): what its verifies ended as.
USAGE_COUNTS = ("accepted", "inactive", "missing_scope", "wrong_secret", "throttled")


def select_list(columns: tuple[str, ...]) -> str:
    """``columns`` for a SELECT on api_keys, each read where it is kept."""
    return ", ".join(ELSEWHERE.get(column, column) for column in columns)
