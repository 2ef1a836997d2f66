"""Error answers as RFC 9457 problem details. A problem names what was wrong and where,
never a value the client sent (that value may be a key)."""

from __future__ import annotations

from http import HTTPStatus

import orjson
from starlette.responses import Response

MEDIA_TYPE = "application/problem+json"


def problem(status: int, detail: str, *, field: str | None = None, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, object] = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    if field is not None:
        body["field"] = field
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE, headers=headers)
