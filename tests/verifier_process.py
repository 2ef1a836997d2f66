"""A stand-in for the API's own service: a long-lived process that verifies on request.

Reads the store URL as its argument and, on stdin, the key (first line) then one scope per
line; answers each with the verify reason on stdout. With "direct" after the URL it
verifies as `keyconsole serve` and the guards do, on the driver alone (no KeyStore).
"""

import sys

from keyconsole import KeyStore
from keyconsole.errors import StoreUnavailable
from keyconsole.http.store_verifier import StoreVerifier

if sys.argv[2:] == ["direct"]:
    verify = StoreVerifier(sys.argv[1]).sync.verify
else:
    store = KeyStore(sys.argv[1])

    def verify(key, scopes):  # type: ignore[no-untyped-def]
        return store.verify(key, scopes=scopes)

key = sys.stdin.readline().strip()
print("ready", flush=True)
for line in sys.stdin:
    scope = line.strip() or None
    try:
        print(verify(key, [scope] if scope else []).reason, flush=True)
    except StoreUnavailable:
        # What a service does with it: refuse the request (fail closed) and carry on.
        print("unavailable", flush=True)
