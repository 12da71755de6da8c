"""The layer table of docs/architecture.md, enforced: every `mootaflow` import in
src/ must be one the table allows. Change the table and the code together."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "mootaflow"
TABLE = ROOT / "docs" / "architecture.md"


def layer_table() -> dict[str, set[str] | None]:
    """package -> packages it may import (None: everything)."""
    rules: dict[str, set[str] | None] = {}
    for line in TABLE.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"`[a-z_]+(/|\.py)`", cells[0]):
            continue
        name = cells[0].strip("`").removesuffix("/").removesuffix(".py")
        allowed = cells[2]
        if allowed == "everything":
            rules[name] = None
        elif allowed == "nothing of ours":
            rules[name] = set()
        else:
            rules[name] = set(re.findall(r"`([a-z_.]+)`", allowed))
    return rules


def package_of(path: Path) -> str:
    relative = path.relative_to(SOURCE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, target) for each import of ours; target is a package, or
    'activities.contracts' for the one activities module workflows may use."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] != "mootaflow" or len(parts) < 3:
                continue  # not ours, or the package root (its version string)
            target = parts[1]
            if parts[1:3] == ["activities", "contracts"]:
                target = "activities.contracts"
            found.append((node.lineno, target))
    return found


def test_the_table_names_every_package_of_the_source() -> None:
    rules = layer_table()
    present = {package_of(p) for p in SOURCE.rglob("*.py")} - {"__init__"}
    assert present <= set(rules), f"not in docs/architecture.md: {present - set(rules)}"


def test_every_import_is_one_the_table_allows() -> None:
    rules = layer_table()
    breaches = []
    for path in sorted(SOURCE.rglob("*.py")):
        package = package_of(path)
        allowed = rules.get(package, set())
        if allowed is None:
            continue
        for line, target in imported(ast.parse(path.read_text())):
            home = target.split(".")[0]
            if home == package or target in allowed:
                continue
            if target == "activities.contracts" and "activities" in allowed:
                continue
            breaches.append(f"{path.relative_to(ROOT)}:{line} {package} -> {target}")
    assert breaches == [], "imports the layer table does not allow:\n" + "\n".join(breaches)


def test_the_table_is_read() -> None:
    # A reworded table must not silently allow everything.
    rules = layer_table()
    assert rules["domain"] == set()
    assert rules["workflows"] == {"domain", "activities.contracts"}
    assert rules["cli"] is None


def test_bench_uses_public_entries_never_the_cli() -> None:
    """bench/ builds stacks as the CLI does, from temporal/ and processes.py; a CLI
    internal it imported would become an API by accident."""
    breaches = [
        f"{path.relative_to(ROOT)}:{line} -> {target}"
        for path in sorted((ROOT / "bench").glob("*.py"))
        for line, target in imported(ast.parse(path.read_text()))
        if target in ("cli", "fakemoota")
    ]
    assert breaches == []
