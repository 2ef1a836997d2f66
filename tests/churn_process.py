"""An admin process that is killed (SIGKILL) in the middle of its work: it creates, rotates
and edits keys in a loop, and prints each key the moment it would be shown to a person."""

import itertools
import sys
from datetime import timedelta

from keyconsole import KeyStore

url, worker = sys.argv[1], sys.argv[2]
store = KeyStore(url, actor=f"churn {worker}")
print("ready", flush=True)
for n in itertools.count():
    name = f"c{worker}-{n}"
    print("shown", store.keys.create(name, ["users:read"]).key, flush=True)
    # With a grace period the last key shown keeps working even if the process dies
    # between the rotation's commit and the print.
    print("shown", store.keys.rotate(name, grace=timedelta(hours=1)).key, flush=True)
    store.keys.edit(name, add_scopes=["users:write"])
    store.keys.edit(name, remove_scopes=["users:write"], expires_at=None)
