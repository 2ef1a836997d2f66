"""`keyconsole serve`: an HTTP verify service (Starlette on uvicorn) so that APIs in any
language, and gateways through forward auth, can check keys. Imports no Textual and no
SQLAlchemy: it reads the store through its driver (store/direct/driver.py)."""
