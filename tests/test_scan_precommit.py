"""The `keyconsole-scan` hook as another repository meets it: run by pre-commit itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from keyconsole import tokens

PROJECT = Path(__file__).resolve().parent.parent


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def snapshot_of_this_checkout(target: Path) -> str:
    """This working tree (uncommitted changes included) as a repository of its own: what
    pre-commit installs the hook from. Returns its commit."""
    listed = git(PROJECT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for name in filter(None, listed):
        source = PROJECT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "snapshot")
    return git(target, "rev-parse", "HEAD")


@pytest.mark.slow
def test_pre_commit_refuses_a_staged_key_and_passes_clean_files(tmp_path: Path) -> None:
    hook_repo = tmp_path / "keyconsole"
    hook_repo.mkdir()
    rev = snapshot_of_this_checkout(hook_repo)
    work = tmp_path / "service"
    work.mkdir()
    git(work, "init", "-q")
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: keyconsole-scan\n"
    )
    (work / "app.py").write_text("print('hello')\n")
    git(work, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache")}

    def pre_commit() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run"], cwd=work, env=env,
                              capture_output=True, text=True, timeout=900)

    clean = pre_commit()
    assert clean.returncode == 0, clean.stdout + clean.stderr

    key = tokens.assemble(tokens.new_public_id(), tokens.new_secret())
    (work / "settings.py").write_text(f"API_KEY = '{key}'\n")
    git(work, "add", "settings.py")

    leaked = pre_commit()

    assert leaked.returncode == 1
    assert f"settings.py:1:12  {key[:15]}_********  unchecked" in leaked.stdout
    assert key[16:] not in leaked.stdout + leaked.stderr
