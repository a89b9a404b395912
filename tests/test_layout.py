"""The import rules of the layout (DESIGN.md): `core` ← `accounts` ← `partners` ← `network` ← `metrics` ←
`goals` ← `equity` ← `scorecard` ← `demo`. A lower package never imports a higher one, `core` imports none
of the apps, `config` none of their internals, and no module imports itself back through others: imports
inside a function count too (a service queues its task by name, `core/jobs.py`, instead of importing it)."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["core", "accounts", "partners", "network", "metrics", "goals", "equity", "scorecard", "demo"]


def sources(package: str) -> Iterator[Path]:
    """The package's own modules: not its tests (which may build whatever they check) or migrations."""
    for path in (ROOT / package).rglob("*.py"):
        if "tests" not in path.parts and "migrations" not in path.parts:
            yield path


def imports(path: Path) -> set[str]:
    """The dotted modules a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("app", ORDER)
def test_a_lower_package_never_imports_a_higher_one(app):
    higher = ORDER[ORDER.index(app) + 1 :]
    wrong = []
    for path in (ROOT / app).rglob("*.py"):
        for module in imports(path):
            top = module.split(".")[0]
            if top in higher:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong


@pytest.mark.parametrize("package", ["core", "config"])
def test_core_and_config_import_none_of_the_apps(package):
    """`core` is below every app; `config` names the apps' classes in settings, never imports them."""
    wrong = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources(package)
        for module in imports(path)
        if module.split(".")[0] in ORDER[1:]
    }
    assert not wrong


def graph() -> dict[str, set[str]]:
    """Each module of the project and the project modules it imports."""
    paths = [path for package in [*ORDER, "config"] for path in sources(package)]
    known = {module_name(path) for path in paths}
    arrows: dict[str, set[str]] = {}
    for path in paths:
        targets = set()
        for module in imports(path):
            # `from metrics import tasks` names the module metrics.tasks; `from metrics.tasks import x`
            # names metrics.tasks; a name that is no module stands for the module it comes from.
            while module and module not in known:
                module = module.rpartition(".")[0]
            if module:
                targets.add(module)
        arrows[module_name(path)] = targets - {module_name(path)}
    return arrows


def cycles(arrows: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(arrows.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(arrows):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back():
    assert cycles(graph()) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_disclosure_rule_is_a_leaf():
    assert not {
        module for module in imports(ROOT / "core" / "disclosure.py") if module.split(".")[0] in ORDER
    }
