"""argon2id hashing of key secrets: the only form in which a secret is ever stored.

Parameters (RFC 9106 section 4 leaves them to the deployment): the secrets hashed here are
190 random bits, not passwords, so no dictionary or brute-force attack on a stolen hash can
succeed whatever the cost; the hash only has to be one-way and salted. We therefore take
the lower end that OWASP still recommends for argon2id (19 MiB, t=2, p=1) rather than
RFC 9106's 2 GiB / 64 MiB profiles meant for human passwords: the first check of a key in a
process stays in the tens of milliseconds and a flood of wrong guesses costs far less
memory. Changing them is safe: stored hashes carry their own parameters.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1

_hasher = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def secret_matches(stored_hash: str, secret: str) -> bool:
    """True when ``secret`` hashes to ``stored_hash``; never raises on a bad hash."""
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False
