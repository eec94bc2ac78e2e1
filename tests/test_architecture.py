"""The layout's rules, read from the code's own imports (docs/architecture.md):

* ``crawler/`` reaches the archive only through ``archive.contract``;
* ``archive/`` imports nothing from ``crawler/`` or ``cli/`` (the command line sits above both);
* no private (``_name``) import crosses a module;
* no import cycle among the project's modules, counting imports inside functions;
* no module over 500 lines, and type hints on every public function.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("archive", "crawler", "cli", "zoo")


def modules() -> dict[str, Path]:
    found = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(path: Path, name: str, known: dict[str, Path]) -> list[tuple[str, str | None]]:
    """(module imported, name imported from it or None) for every import in the file."""
    out = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[: len(up) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.append((sub, None) if sub in known else (base, a.name))
    return [(m, n) for m, n in out if m.split(".")[0] in PACKAGES]


def edges() -> list[tuple[str, str, str | None]]:
    known = modules()
    return [(src, mod, n) for src, path in known.items() for mod, n in imports(path, src, known)]


def test_crawler_reaches_the_archive_only_through_the_contract():
    wrong = [
        (src, mod)
        for src, mod, _ in edges()
        if src.startswith("crawler") and mod.startswith("archive") and mod != "archive.contract"
    ]
    assert not wrong, wrong


def test_archive_imports_nothing_from_crawler_or_cli():
    wrong = [
        (src, mod)
        for src, mod, _ in edges()
        if src.startswith("archive") and mod.split(".")[0] in ("crawler", "cli")
    ]
    assert not wrong, wrong


def test_no_private_name_crosses_a_module():
    wrong = [
        (src, f"{mod}.{n}" if n else mod)
        for src, mod, n in edges()
        if mod != src
        and any(p.startswith("_") and p != "__version__" for p in [*mod.split("."), n or ""])
    ]
    assert not wrong, wrong


def test_no_import_cycle_among_modules():
    known = modules()
    graph: dict[str, set[str]] = {m: set() for m in known}
    for src, mod, _ in edges():
        target = mod
        while target not in known and "." in target:
            target = target.rpartition(".")[0]
        if target in known and target != src and not known[target].name == "__init__.py":
            graph[src].add(target)
    # Tarjan's strongly connected components: a component of two or more is a cycle
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, cycles


def test_no_module_over_500_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in modules().values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert not long, long


def _unannotated(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    args += [a for a in (fn.args.vararg, fn.args.kwarg) if a is not None]
    missing = [a.arg for a in args if a.annotation is None and a.arg not in ("self", "cls")]
    if fn.returns is None and fn.name != "__init__":
        missing.append("return")
    return missing


def test_public_functions_have_type_hints():
    """Every public function, and every public method of a public class, is annotated."""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    wrong = []
    for name, path in modules().items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            members = [node] if isinstance(node, functions) else []
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                members = [m for m in node.body if isinstance(m, functions)]
            for fn in members:
                if not fn.name.startswith("_") and (missing := _unannotated(fn)):
                    wrong.append(f"{name}.{fn.name}: {', '.join(missing)}")
    assert not wrong, wrong
