"""A stand-in for the API's own service: a long-lived process that verifies on request.

Reads the store URL as its argument and, on stdin, the key (first line) then one scope per
line; answers each with the verify reason on stdout.
"""

import sys

from keyconsole import KeyStore
from keyconsole.errors import StoreUnavailable

store = KeyStore(sys.argv[1])
key = sys.stdin.readline().strip()
print("ready", flush=True)
for line in sys.stdin:
    scope = line.strip() or None
    try:
        print(store.verify(key, scope=scope).reason, flush=True)
    except StoreUnavailable:
        # What a service does with it: refuse the request (fail closed) and carry on.
        print("unavailable", flush=True)
