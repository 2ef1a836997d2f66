"""Alembic revisions of the keyconsole schema.

``HEAD`` lets every open check the store's revision with one query instead of loading
Alembic; ``tests/test_migrations.py`` proves it names the newest revision.
"""

from pathlib import Path

HEAD = "0012"
SCRIPT_LOCATION = Path(__file__).parent
# Our own version table, so a database that also holds the API's Alembic history is not confused.
VERSION_TABLE = "keyconsole_alembic_version"
