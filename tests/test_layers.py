"""The store knows no stage (DESIGN.md, STYLE.md 'Layers'): it may import only `store`, `domain`
and `reference`. The imports it still has from stages are listed here, to be removed by the
per-stage services of the redesign (issue 15); the list may only shrink."""

from __future__ import annotations

import ast
from pathlib import Path

STORE = Path(__file__).resolve().parents[1] / "maxim" / "store"
ALLOWED = {"store", "domain", "reference"}
# (file, stage package) pairs still to move into their stage's service.
LEGACY = {
    ("access.py", "intake"),
    ("access.py", "security"),
    ("network_access.py", "network"),
    ("network_access.py", "prioritise"),
    ("oversight_access.py", "oversight"),
    ("share_access.py", "share"),
    ("workflow_access.py", "route"),
    ("workflow_access.py", "task"),
}


def stage_imports() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in STORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("maxim."):
                package = node.module.split(".")[1]
                if package not in ALLOWED:
                    found.add((str(path.relative_to(STORE)), package))
    return found


def test_the_store_imports_no_stage_beyond_the_ones_still_to_move() -> None:
    assert stage_imports() <= LEGACY, sorted(stage_imports() - LEGACY)
