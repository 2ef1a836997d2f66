"""uvicorn's logging, with any key that reaches a logged line cut to its public id.

Keys travel in headers and bodies, which uvicorn does not log, but a client may still put
one in a path or a query string (and Envoy appends the original request's path to the
forward-auth URL), and uvicorn's access log writes those whole.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote

# kc_ + the 12-character public id (not secret), then whatever follows of the key: its
# secret and checksum, whole or in part.
_KEY = re.compile(r"(kc_[A-Za-z0-9]{12})[A-Za-z0-9_]+")
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


def redact(text: str) -> str:
    """``text`` as it was, or, when it holds a key (percent-encoded or not), decoded with the
    key cut to its public id and anything unprintable shown as ``?`` (no forged log lines)."""
    decoded = unquote(text)
    if _KEY.search(decoded) is None:
        return text
    return _KEY.sub(r"\1…", _UNPRINTABLE.sub("?", decoded))


class RedactKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def log_config(access_log: bool) -> dict[str, Any]:
    """uvicorn's own LOGGING_CONFIG with the filter on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {
        **LOGGING_CONFIG,
        "filters": {"redact_keys": {"()": "keyconsole.serve.access_log.RedactKeys"}},
        "handlers": {name: {**handler, "filters": ["redact_keys"]} for name, handler in LOGGING_CONFIG["handlers"].items()},
        # keyconsole's own lines (refused callers, store errors) beside uvicorn's.
        "loggers": {**LOGGING_CONFIG["loggers"], "keyconsole": {"handlers": ["default"], "level": "INFO", "propagate": False}},
    }
    if not access_log:
        config["loggers"]["uvicorn.access"] = {"handlers": [], "level": "WARNING", "propagate": False}
    return config
