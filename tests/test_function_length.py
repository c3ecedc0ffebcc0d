"""No function in workbench/ is over 80 lines (its docstring not counted)."""

from __future__ import annotations

import ast
from pathlib import Path

import workbench

LIMIT = 80


def _code_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    lines = function.end_lineno - function.lineno + 1  # type: ignore[operator]
    first = function.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        lines -= first.end_lineno - first.lineno + 1  # type: ignore[operator]
    return lines


def test_no_function_in_workbench_is_over_80_lines():
    root = Path(workbench.__file__).parent
    too_long = [
        f"{path.relative_to(root)}:{node.lineno} {node.name} ({_code_lines(node)} lines)"
        for path in sorted(root.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _code_lines(node) > LIMIT
    ]
    assert not too_long, "split these functions into named parts:\n" + "\n".join(too_long)
