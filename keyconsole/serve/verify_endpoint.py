"""POST /v1/verify: a verdict on a key, as JSON, for APIs that ask over HTTP."""

from __future__ import annotations

import orjson

from keyconsole.http.verdicts import retry_after_header
from keyconsole.serve.asgi import ASGIApp, Receive, Scope, Send, read_body, send_response
from keyconsole.serve.context import ServeContext
from keyconsole.serve.problems import problem
from keyconsole.service.key_state import Reason

MAX_BODY = 8192
MAX_SCOPES = 64
JSON = b"application/json"


class BadRequest(Exception):
    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


def make_verify_endpoint(context: ServeContext) -> ASGIApp:
    async def verify_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        if (refused := await context.refuse_caller(scope)) is not None:
            return await refused(scope, receive, send)
        body = await read_body(receive, MAX_BODY)
        if body is None:
            return await problem(413, f"the body is over {MAX_BODY} bytes")(scope, receive, send)
        try:
            presented, required = _parse(body)
        except BadRequest as error:
            return await problem(400, str(error), field=error.field)(scope, receive, send)
        result = await context.judge("verify", presented, required)
        if result is None:
            return await problem(503, "the key store cannot be read right now")(scope, receive, send)
        answer = orjson.dumps({"valid": result.ok, "reason": result.reason, "key_id": result.key_id, "scopes": result.scopes})
        headers = [(b"retry-after", retry_after_header(result.retry_after).encode())] if result.reason == Reason.THROTTLED else []
        await send_response(send, 200, answer, JSON, headers)

    return verify_endpoint


def _parse(body: bytes) -> tuple[str, list[str]]:
    # What was sent is never repeated in an answer: it may hold a key.
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("body", 'the body is not UTF-8 JSON; send {"key": "...", "scopes": [...]}') from None
    if not isinstance(payload, dict):
        raise BadRequest("body", 'the body must be a JSON object: {"key": "...", "scopes": [...]}')
    presented = payload.get("key")
    if not isinstance(presented, str):
        raise BadRequest("key", "key must be a string")
    scopes = payload.get("scopes")
    if scopes is None:
        return presented, []
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise BadRequest("scopes", "scopes must be a list of strings")
    if len(scopes) > MAX_SCOPES:
        raise BadRequest("scopes", f"scopes may name at most {MAX_SCOPES}")
    return presented, scopes
