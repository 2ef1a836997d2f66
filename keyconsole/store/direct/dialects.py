"""What differs between SQLite and PostgreSQL, one object per dialect, so the code asks it a
question instead of branching on the dialect's name: the SQL written by hand (the verify path,
the listing's first pages), how the database is reached and guarded, how its planner is
helped. Imports nothing but moments. What stays per dialect elsewhere, and why, is in
docs/architecture.md ("The dialects").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keyconsole import moments


@dataclass(frozen=True)
class Dialect:
    name: str
    # The DB-API placeholder of a query parameter.
    param: str
    # A key's scope names joined by spaces, for a query on api_keys.
    scope_names_sql: str
    # What LIMIT takes for "no limit".
    no_limit: str
    # Whether the scope names come back unsorted (sorted in Python then, as the ORM loads them).
    sorts_scope_names_in_python: bool
    # How a moment is written into a column, as models.UTCDateTime stores it.
    store_moment_as_text: bool
    # A file this process opens itself, not a server: reads are local (no thread needed to
    # wait on them), commits show in its shared memory (store/direct/commit_watch.py), a
    # forked child must drop the connections it inherited, a backup is a file copy, and the
    # OS user's rights on the file are its access control (no database roles).
    embedded: bool
    # Whether LIKE ignores case (SQLite's does, for ASCII): a prefix is then matched as a
    # range over the column's index instead.
    like_ignores_case: bool
    # Whether the planner weighs the name index itself (PostgreSQL's pg_trgm) or keyconsole
    # must decide when to use it (SQLite's FTS5, service/keys.py).
    plans_name_index: bool
    # Whether the database dates audit events and names the role (a trigger, migration 0009).
    dates_audit: bool

    def scope_names(self, aggregated: str | None) -> tuple[str, ...]:
        """The names in ``scope_names_sql``'s column, in name order."""
        names = aggregated.split(" ") if aggregated else []
        return tuple(sorted(names) if self.sorts_scope_names_in_python else names)

    def moment(self, moment: datetime) -> Any:
        naive = moments.to_column(moment)
        return naive.strftime(moments.SQLITE_TEXT) if self.store_moment_as_text else naive


# SQLite's group_concat has no order of its own; its binary order is Python's, so the names
# are sorted after the split. PostgreSQL orders inside the aggregate, under its collation.
SQLITE = Dialect(
    name="sqlite",
    param="?",
    scope_names_sql=(
        "(SELECT group_concat(s.name, ' ') FROM key_scopes ks JOIN scopes s ON s.id = ks.scope_id"
        " WHERE ks.key_id = api_keys.id)"
    ),
    no_limit="-1",
    sorts_scope_names_in_python=True,
    store_moment_as_text=True,
    embedded=True,
    like_ignores_case=True,
    plans_name_index=False,
    dates_audit=False,
)
POSTGRESQL = Dialect(
    name="postgresql",
    param="%s",
    scope_names_sql=(
        "(SELECT string_agg(s.name, ' ' ORDER BY s.name) FROM key_scopes ks"
        " JOIN scopes s ON s.id = ks.scope_id WHERE ks.key_id = api_keys.id)"
    ),
    no_limit="ALL",
    sorts_scope_names_in_python=False,
    store_moment_as_text=False,
    embedded=False,
    like_ignores_case=False,
    plans_name_index=True,
    dates_audit=True,
)
DIALECTS = {dialect.name: dialect for dialect in (SQLITE, POSTGRESQL)}
