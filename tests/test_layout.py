"""The package's folders are floors: a module imports only from its own floor or the floors below it.

ui → serving → training → insight / corpus → models → text, with `errors.py`, `storage.py`, `run_files.py` and
`markup.py` under everything, `bilingual.py` under those, and `cli.py` (a front door, like app.py) on top. This
keeps imports one-way, so no circle can form.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sentiment"
FLOORS = {"__main__": 8, "cli": 7, "ui": 6, "serving": 5, "training": 4, "insight": 3, "corpus": 3,
          "models": 2, "text": 1, "errors": 0, "storage": 0,
          "run_files": 0, "markup": 0, "bilingual": -1}


def floor_of(parts: list[str]) -> tuple[str, int]:
    return parts[0], FLOORS[parts[0]]


def imported_modules(path: Path) -> list[list[str]]:
    """The package-relative parts of every `sentiment` module `path` imports (relative or absolute)."""
    here = list(path.relative_to(PACKAGE).parent.parts)
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = here[: len(here) - node.level + 1]
            target = base + (node.module.split(".") if node.module else [])
        elif node.module and node.module.split(".")[0] == "sentiment":
            target = node.module.split(".")[1:]
        else:
            continue
        if target:
            found.append(target)
        else:  # `from . import a, b` at the package root
            found.extend([alias.name] for alias in node.names)
    return found


def test_every_module_imports_down_or_across_never_up():
    upward = []
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts == ["__init__"]:
            continue
        name, level = floor_of(parts)
        for target in imported_modules(path):
            target_name, target_level = floor_of(target)
            if target_name != name and target_level >= level:
                upward.append(f"{'/'.join(parts)} imports {'.'.join(target)}")
    assert not upward, "imports against the floors:\n" + "\n".join(upward)


def test_no_module_imports_itself_through_a_circle():
    """Within a floor too: a circle of imports (even lazy ones inside functions) means two modules are one."""
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        graph[module.removesuffix(".__init__")] = set()
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        for target in imported_modules(path):
            name = ".".join(target)
            if name in graph and name != module:
                graph[module].add(name)

    def circle_from(start, node, trail):
        for nxt in graph[node]:
            if nxt == start:
                return [*trail, nxt]
            if nxt not in trail:
                found = circle_from(start, nxt, [*trail, nxt])
                if found:
                    return found
        return None

    circles = [circle for module in graph if (circle := circle_from(module, module, [module]))]
    assert not circles, "import circles: " + "; ".join(" → ".join(circle) for circle in circles)


def test_every_module_has_a_floor():
    """A new top-level module or folder must be given a floor here, so the check above covers it."""
    tops = {path.stem if path.is_file() else path.name for path in PACKAGE.iterdir()
            if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists())}
    assert tops - {"__init__"} <= set(FLOORS), tops - set(FLOORS)


def test_the_page_speaks_only_to_the_serving_parts():
    """ui/ lays out and wires: it reaches the app through serving/ (its parts and serving/terms.py), raises
    or catches errors.py's UserError, quotes a visitor's text with markup.py, and imports nothing from the floors
    below serving directly."""
    reaching_down = []
    for path in (PACKAGE / "ui").rglob("*.py"):
        for target in imported_modules(path):
            if target[0] not in ("ui", "serving", "errors", "bilingual", "markup"):
                reaching_down.append(f"ui/{path.name} imports {'.'.join(target)}")
    assert not reaching_down, "ui/ reaches past serving/:\n" + "\n".join(reaching_down)
