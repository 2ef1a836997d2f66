"""keyconsole: issue and govern API keys from a terminal.

``from keyconsole import KeyStore`` gives services the verify API without importing the
console: the import below happens only when ``KeyStore`` is first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["KeyStore", "VerifyResult", "__version__"]

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore
    from keyconsole.service.verify import VerifyResult


def __getattr__(name: str) -> Any:
    if name == "KeyStore":
        from keyconsole.service.api import KeyStore

        return KeyStore
    if name == "VerifyResult":
        from keyconsole.service.verify import VerifyResult

        return VerifyResult
    raise AttributeError(name)
