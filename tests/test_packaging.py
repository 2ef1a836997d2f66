"""What an installed keyconsole carries, and what the verify path does not pay for."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    return next(out.glob("keyconsole-*.whl"))


def test_the_wheel_ships_the_stylesheet_and_the_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "keyconsole/keyconsole.tcss" in names
    assert "keyconsole/store/migrations/env.py" in names
    assert "keyconsole/store/migrations/versions/0001_initial.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "keyconsole = keyconsole.cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_an_installed_wheel_runs_and_finds_its_stylesheet(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    probe = "import keyconsole.tui.app as a, keyconsole; print(keyconsole.__file__); print(a.stylesheet_path())"
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}, check=True)
    package_file, stylesheet = result.stdout.split()
    assert package_file.startswith(str(target))
    assert Path(stylesheet).is_file() and Path(stylesheet).is_relative_to(target)


def test_the_verify_command_and_the_python_api_do_not_import_the_console(sqlite_url: str) -> None:
    probe = (
        "import sys\n"
        "from keyconsole.cli.main import main\n"
        "try:\n"
        f"    main(['verify', '--db', {sqlite_url!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "from keyconsole import KeyStore\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], input="kc_nope\n", capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_no_module_imports_itself_through_others() -> None:
    """Issue 25: no import circle anywhere in the package (grimp, import-linter's graph,
    counts imports made for type checking only too)."""
    import grimp

    graph = grimp.build_graph("keyconsole")
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    circles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if state.get(imported) == 1:
                circles.append([*path[path.index(imported):], imported])
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = 2

    for module in sorted(graph.modules):
        if module not in state:
            visit(module, [module])
    assert circles == []
