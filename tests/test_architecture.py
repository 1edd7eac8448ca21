"""The shape the README picture promises: which package may import which, and no import circle.

Imports are read from the source (every `import`, at module level or inside a function, except under
`if TYPE_CHECKING:`), so a lazy import that closes a circle is caught as well as a top-level one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("copilot", "index", "finetune")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Project modules `path` imports: `from pkg import name` counts as pkg.name when that is a module, else as pkg.
    (A package's `__init__` runs before any of its modules whichever form is used: that edge is Python's, not ours.)"""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in modules else node.module)
    return {name for name in found if name in modules}


def _graph() -> dict[str, set[str]]:
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {_module_name(p): p for p in files}
    return {name: _imports(path, set(modules)) - {name} for name, path in modules.items()}


def test_index_imports_neither_copilot_nor_finetune() -> None:
    bad = {m: sorted(i for i in deps if not i.startswith("index")) for m, deps in _graph().items()
           if m.startswith("index")}
    assert not {m: deps for m, deps in bad.items() if deps}


def test_copilot_never_imports_finetune() -> None:
    """`copilot finetune` is registered by the finetune package (entry point), not imported by the CLI."""
    bad = {m: sorted(i for i in deps if i.startswith("finetune")) for m, deps in _graph().items()
           if m.startswith("copilot")}
    assert not {m: deps for m, deps in bad.items() if deps}


def test_there_is_no_import_circle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not circles


def test_serving_loads_no_finetune_module() -> None:
    """The CLI's parser, the HTTP API and the service load without importing anything from finetune/."""
    code = ("import sys; import copilot.cli as c; c.make_parser(); import copilot.web.api, copilot.web.service, "
            "copilot.app; print(sorted(m for m in sys.modules if m.split('.')[0] == 'finetune'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_finetune_command_is_found_through_its_entry_point() -> None:
    from copilot.cli import make_parser, plugin_commands

    assert "finetune" in [c.name for c in plugin_commands()]
    args = make_parser(load="finetune").parse_args(["finetune", "export", "--out", "merged"])
    assert args.command == "finetune" and args.action == "export"
