"""The errors every layer raises and every interface turns into one clear line.

Each carries an exit code from the CLI contract (docs/cli.md, "Exit codes"): 1 refused, 2 invalid input.
Messages never contain a secret: they are built from names and public ids only.
"""

from __future__ import annotations


class KeyconsoleError(Exception):
    """Base for every error a user may see; `str(err)` is the one-line message."""

    exit_code = 1


class InvalidInput(KeyconsoleError):
    """The request itself is wrong (bad name, unknown scope, past expiry): exit 2."""

    exit_code = 2


class PolicyViolation(InvalidInput):
    """A key's expiry that the store's lifetime policy does not allow (service/policy.py)."""


class NotFound(KeyconsoleError):
    """No key or scope by that name or id."""


class Conflict(KeyconsoleError):
    """The change clashes with the store: a duplicate name, or a stale edit."""


class StaleEdit(Conflict):
    """The key changed since it was read; the caller should reload, never overwrite."""


class NotPermitted(KeyconsoleError):
    """The database role the store was opened with may not do this (store/direct/grants.py)."""


class StoreUnavailable(KeyconsoleError):
    """The store cannot be opened or reached (bad URL, server down, not a keyconsole store)."""


class InvalidStoreURL(StoreUnavailable):
    """The URL itself cannot name a store: bad usage, exit 2."""

    exit_code = 2
