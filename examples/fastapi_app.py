"""A FastAPI app guarded by keyconsole keys.

    KEYCONSOLE_DB=sqlite:////path/to/keys.db .venv/bin/uvicorn --app-dir examples fastapi_app:app

(KEYCONSOLE_DB may be left out for the default store.) Then:
    curl -H "Authorization: Bearer kc_..." localhost:8000/users
"""

from fastapi import FastAPI, Security

from keyconsole.integrations.fastapi import KeyconsoleAuth, VerifyResult

auth = KeyconsoleAuth()  # the store from KEYCONSOLE_DB, else the default; or a URL, or a KeyStore
app = FastAPI(title="An API guarded by keyconsole")


@app.get("/users")
def users(key: VerifyResult = Security(auth, scopes=["users:read"])) -> dict[str, object]:
    return {"caller": key.key_id, "scopes": list(key.scopes)}


@app.post("/users")
def add_user(key: VerifyResult = Security(auth, scopes=["users:write"])) -> dict[str, object]:
    return {"added_by": key.key_id}
