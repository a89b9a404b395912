"""The import rules of the layout: `core` ← `accounts` ← `partners` ← `network` ← `metrics` ← `goals` ←
`equity`; `core` imports none of the apps, and `goals` reaches suppression through `metrics`."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["core", "accounts", "partners", "network", "metrics", "goals", "equity"]


def imports(path: Path) -> set[str]:
    """The dotted modules a file imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("app", ORDER)
def test_a_lower_app_never_imports_a_higher_one(app):
    higher = ORDER[ORDER.index(app) + 1 :]
    wrong = []
    for path in (ROOT / app).rglob("*.py"):
        for module in imports(path):
            top = module.split(".")[0]
            if top in higher:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong


def test_the_disclosure_rule_is_a_leaf():
    assert not {
        module for module in imports(ROOT / "core" / "disclosure.py") if module.split(".")[0] in ORDER
    }
