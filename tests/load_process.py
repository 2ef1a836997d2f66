"""One process of the load test: an admin who creates keys and edits shared ones, or a
verifier. Runs for SECONDS, then prints one JSON line of what it did and saw.

Usage: load_process.py URL admin|verify WORKER SECONDS [KEY]
"""

import json
import sys
import time

from keyconsole import KeyStore
from keyconsole.errors import KeyconsoleError, StaleEdit

SHARED = [f"shared-{n}" for n in range(4)]


def main() -> None:
    url, role, worker, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    store = KeyStore(url, actor=f"{role} {worker}")
    report = {"ops": 0, "conflicts": 0, "errors": [], "worst_s": 0.0, "edits": [], "refused": 0}
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            if role == "verify":
                if not store.verify(sys.argv[5], scope="users:read"):
                    report["refused"] += 1
            elif n % 3 == 0:
                store.keys.create(f"w{worker}-{n}", ["users:read"])
            else:
                name = SHARED[n % len(SHARED)]
                seen = store.keys.get(name)
                change = {"remove_scopes": ["users:write"]} if "users:write" in seen.scopes else {"add_scopes": ["users:write"]}
                try:
                    edited = store.keys.edit(name, expected_version=seen.version, **change)
                    report["edits"].append([name, edited.version])
                except StaleEdit:
                    report["conflicts"] += 1
        except KeyconsoleError as error:
            report["errors"].append(str(error))
        report["worst_s"] = max(report["worst_s"], time.monotonic() - started)
        report["ops"] += 1
        n += 1
    print(json.dumps(report))


if __name__ == "__main__":
    main()
