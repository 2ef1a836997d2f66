"""One of several processes creating keys at once: prints each new key's public id."""

import sys

from keyconsole import KeyStore

url, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = KeyStore(url, actor=f"worker {worker}")
for n in range(count):
    print(store.keys.create(f"w{worker}-{n}", ["users:read"]).info.public_id, flush=True)
