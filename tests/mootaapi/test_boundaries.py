"""Import boundaries: the client depends on the domain only; the fake stays out of
production code paths (only the CLI, which can run it, imports it)."""

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).parents[2] / "src" / "mootaflow"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_client_imports_only_the_domain() -> None:
    for path in (SRC / "mootaapi").glob("*.py"):
        ours = {m for m in imported_modules(path) if m.startswith("mootaflow")}
        allowed = {m for m in ours if m.startswith(("mootaflow.domain", "mootaflow.mootaapi"))}
        assert ours - allowed <= {"mootaflow"}, (path.name, ours - allowed)


def test_production_code_never_imports_the_fake() -> None:
    for path in SRC.rglob("*.py"):
        part = path.relative_to(SRC).parts[0]
        if part in ("fakemoota", "cli"):
            continue
        fake = {m for m in imported_modules(path) if m.startswith("mootaflow.fakemoota")}
        assert not fake, (str(path.relative_to(SRC)), fake)
    # In the CLI only the commands that run the fake import it.
    users = {
        path.name
        for path in (SRC / "cli").glob("*.py")
        if any(m.startswith("mootaflow.fakemoota") for m in imported_modules(path))
    }
    assert users <= {"fakemoota.py", "dev.py", "main.py"}, users


def test_running_the_service_does_not_load_the_fake() -> None:
    """The worker's and receiver's start-up path (parser included) leaves it unloaded."""
    probe = (
        "import sys\n"
        "import mootaflow.cli.main as main\n"
        "main.build_parser().parse_args(['worker'])\n"
        "import mootaflow.temporal.worker, mootaflow.receiver.app\n"
        "assert not [m for m in sys.modules if m.startswith('mootaflow.fakemoota')]\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
