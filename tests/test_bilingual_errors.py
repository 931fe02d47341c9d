"""Every sentence a person can cause the app to say carries both languages.

A `UserError` (or one of its kin: `DataError`, `JobError`, …) is shown on the page as it is, inside a
Japanese frame for a Japanese visitor, so each one is raised with a `Text(en, ja)`: this reads every module
under sentiment/ and fails on one built from a plain string literal, an f-string, a concatenation of those,
or a `str.format` of a literal (or a name bound to one of those in the same function)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sentiment"
ROOT = "UserError"


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"), str(path))) for path in sorted(PACKAGE.rglob("*.py"))]


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def error_classes(modules) -> set[str]:
    """UserError and every class under sentiment/ that derives from it, however many steps down."""
    names = {ROOT}
    classes = [node for _, tree in modules for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in classes:
            if node.name not in names and any(_base_name(base) in names for base in node.bases):
                names.add(node.name)
                grew = True
    return names


def _plain(node: ast.expr, strings: dict[str, ast.expr]) -> bool:
    """Whether `node` makes a plain str: a literal, an f-string, `+` or `%` of those, `"…".format(…)`, str(…),
    or a name the same function bound to one of those."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _plain(node.left, strings) and _plain(node.right, strings)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _plain(node.left, strings)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
        return _plain(node.func.value, strings)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str":
        return True
    if isinstance(node, ast.Name) and node.id in strings:
        return _plain(strings.pop(node.id), strings)  # popped: a name bound to itself is read once
    return False


def _functions(tree: ast.Module):
    yield tree
    yield from (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))


def _bindings(scope) -> dict[str, ast.expr]:
    """Names bound by a plain `name = value` in a function (its own body, not nested functions')."""
    bound: dict[str, ast.expr] = {}
    stack = list(scope.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            bound[node.targets[0].id] = node.value
        stack.extend(ast.iter_child_nodes(node))
    return bound


def plain_string_errors() -> list[str]:
    """`path:line: Class(…)` for each user-facing error built from a plain str."""
    modules = _modules()
    kinds = error_classes(modules)
    found = set()
    for path, tree in modules:
        for scope in _functions(tree):
            bound = _bindings(scope)
            for node in ast.walk(scope):
                if not (isinstance(node, ast.Call) and _base_name(node.func) in kinds and node.args):
                    continue
                if _plain(node.args[0], dict(bound)):
                    where = path.relative_to(PACKAGE.parent)
                    found.add(f"{where}:{node.lineno}: {_base_name(node.func)}({ast.unparse(node.args[0])[:70]}")
    return sorted(found)


def test_the_user_facing_errors_are_found_with_their_kin():
    assert {"UserError", "DataError", "JobError", "RunError", "TrainingError"} <= error_classes(_modules())


def test_the_checker_tells_a_plain_string_from_a_text():
    tree = ast.parse(
        "def f(n, x):\n"
        "    message = f'{n} rows'\n"
        "    bilingual = Text('a', 'あ')\n"
        "    return [message, 'a' + f'{n}', 'a {n}'.format(n=n), '%s' % n,\n"
        "            bilingual, Text('a', 'あ'), Text('{n}', '{n}').format(n=n), TEMPLATE.format(n=n), x]\n"
    )
    scope = tree.body[0]
    items = scope.body[-1].value.elts
    verdicts = [_plain(item, _bindings(scope)) for item in items]
    assert verdicts == [True, True, True, True, False, False, False, False, False]


def test_every_user_facing_error_is_raised_with_both_languages():
    offenders = plain_string_errors()
    assert not offenders, f"{len(offenders)} errors shown in English only (raise them with Text(en, ja)):\n" + (
        "\n".join(offenders)
    )
