"""Drop-in guards that check keyconsole keys inside an API's own process: FastAPI
(fastapi.py), Starlette (starlette.py), Django REST Framework (drf.py). Each answers as
`keyconsole serve`'s forward auth does (http/verdicts.py)."""
