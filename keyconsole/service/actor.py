"""Who is making a change, for the audit log: the OS user, and the SSH client if any."""

from __future__ import annotations

import getpass
import os


def current_actor(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    # Under sudo, USER is root: SUDO_USER names the admin who typed the command.
    user = env.get("SUDO_USER") or env.get("USER") or env.get("LOGNAME") or _login_name()
    ssh = env.get("SSH_CONNECTION", "").split()
    return f"{user} (ssh {ssh[0]})" if ssh else user


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
