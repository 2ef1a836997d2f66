"""Names compare under NFKC_Casefold, not case folding alone: `ａｐｉ` is `api`.

Revision ID: 0003
Revises: 0002
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _fold(name: str) -> str:
    # A migration is a snapshot: this is service.validation.fold_name as of this revision.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def upgrade() -> None:
    keys = sa.table("api_keys", sa.column("id", sa.Integer), sa.column("name", sa.String),
                    sa.column("name_folded", sa.String))
    connection = op.get_bind()
    # For ASCII, NFKC changes nothing and case folding is lower-casing: only names holding
    # another character can fold differently, so a million-key store reads just those.
    non_ascii = "[^ -~]"
    if connection.dialect.name == "sqlite":
        holds_other = keys.c.name.op("GLOB")(f"*{non_ascii}*")
    else:
        holds_other = keys.c.name.op("~")(non_ascii)
    rows = connection.execute(sa.select(keys.c.id, keys.c.name, keys.c.name_folded).where(holds_other)).all()
    for key_id, name, folded in rows:
        refolded = _fold(name)
        if refolded == folded:
            continue
        # Two existing keys that only now compare equal keep their old fold, so the store
        # still opens; renaming one of them is the admin's call.
        clash = connection.execute(sa.select(keys.c.id).where(keys.c.name_folded == refolded)).first()
        if clash is None:
            connection.execute(sa.update(keys).where(keys.c.id == key_id).values(name_folded=refolded))
