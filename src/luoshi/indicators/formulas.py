"""Formulas of derived indicators: arithmetic over other indicators' codes, e.g. ``energy_total / gdp``.

Parsed with the standard library's ``ast`` into a small tree of allowed nodes (numbers, codes, + - * /,
unary minus, parentheses) and evaluated by walking that tree: nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation

from django.utils.translation import gettext as _

from luoshi.core.errors import ValidationFailed

MAX_LENGTH = 400
MAX_NODES = 100

_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div)


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, its tree and the codes it refers to (in order of appearance)."""

    text: str
    tree: ast.expr
    codes: tuple[str, ...]

    def evaluate(self, values: Mapping[str, Decimal]) -> Decimal | None:
        """The result for the given component values; None if one is missing or a divisor is zero."""
        try:
            return _evaluate(self.tree, values)
        except (KeyError, DivisionByZero, InvalidOperation, ZeroDivisionError):
            return None


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields={"formula": [message]})


def parse(text: str) -> Formula:
    """Parse ``text`` or raise ``ValidationFailed`` on the ``formula`` field saying what is wrong where."""
    text = text.strip()
    if len(text) > MAX_LENGTH:
        raise _invalid(_("A formula may be at most %(n)s characters long.") % {"n": MAX_LENGTH})
    try:
        module = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise _invalid(
            _("The formula cannot be read near character %(pos)s: %(text)s")
            % {"pos": exc.offset or 1, "text": text}
        ) from exc
    codes: list[str] = []
    count = 0
    for node in ast.walk(module.body):
        count += 1
        if isinstance(node, ast.Name):
            if node.id not in codes:
                codes.append(node.id)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise _invalid(
                    _("Only numbers and indicator codes may appear in a formula (character %(pos)s).")
                    % {"pos": node.col_offset + 1}
                )
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, _OPERATORS):
                raise _invalid(
                    _("Only + - * / and parentheses may be used in a formula (character %(pos)s).")
                    % {"pos": node.col_offset + 1}
                )
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise _invalid(
                    _("Only + - * / and parentheses may be used in a formula (character %(pos)s).")
                    % {"pos": node.col_offset + 1}
                )
        elif isinstance(node, ast.operator | ast.unaryop | ast.Load):
            continue
        else:
            raise _invalid(
                _(
                    "Only numbers, indicator codes, + - * / and parentheses may appear in a formula "
                    "(character %(pos)s)."
                )
                % {"pos": getattr(node, "col_offset", 0) + 1}
            )
    if count > MAX_NODES:
        raise _invalid(_("The formula is too long; split it into intermediate indicators."))
    if not codes:
        raise _invalid(_("A formula must refer to at least one indicator by its code."))
    return Formula(text=text, tree=module.body, codes=tuple(codes))


def _evaluate(node: ast.expr, values: Mapping[str, Decimal]) -> Decimal:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if right == 0:
            raise DivisionByZero
        return left / right
    raise TypeError(type(node).__name__)  # parse() admits nothing else
