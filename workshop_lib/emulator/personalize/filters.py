"""Filter expressions: the grammar (parsed at create_filter) and their evaluation at runtime.

    filter     := expression ("|" expression)*
    expression := (INCLUDE|EXCLUDE) (ItemID|UserID|ActionID) WHERE condition
                  ((AND|OR) condition)* [IF user_cond (AND user_cond)*]
    condition  := Dataset "." FIELD operator values      Dataset: Interactions | Items | CurrentItem
    user_cond  := CurrentUser "." FIELD operator values
    operator   := IN | NOT IN | = | != | < | <= | > | >=
    values     := "(" value ("," value)* ")" | value     value: "string" | number | $PLACEHOLDER

AND binds tighter than OR. Interactions conditions may only test EVENT_TYPE (case-insensitive,
"*" = every type); one expression may not mix datasets (chain expressions with `|`). A bad
expression is refused with the position (0-based character offset) of the offending token.
Combination: INCLUDE expressions are united, EXCLUDE expressions are united, the result is
includes minus excludes. An expression whose IF condition is false does not apply; an INCLUDE
needs every placeholder in filterValues, an EXCLUDE whose placeholder is missing is skipped.
Only the 100 most recent interactions per user and event type count, as on AWS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .validation import invalid

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<placeholder>\$[A-Za-z0-9_]+)
  | (?P<op><=|>=|!=|=|<|>)
  | (?P<punct>[().,|*])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
DATASETS = {"interactions": "Interactions", "items": "Items", "currentitem": "CurrentItem"}
RECENT_PER_TYPE = 100


@dataclass
class Condition:
    dataset: str
    field: str
    op: str
    values: list[Any]  # literals, or ("$", name) placeholders


@dataclass
class Expression:
    action: str  # INCLUDE | EXCLUDE
    target: str
    groups: list[list[Condition]]  # OR of ANDs
    user_conditions: list[Condition] = field(default_factory=list)

    def placeholders(self) -> set[str]:
        conds = [c for g in self.groups for c in g] + self.user_conditions
        return {v[1] for c in conds for v in c.values if isinstance(v, tuple)}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                self.fail(pos + len(text[pos:]) - len(text[pos:].lstrip()), "unexpected character")
            kind = match.lastgroup
            start = match.start(kind)
            self.tokens.append((kind, match.group(kind), start))
            pos = match.end()
        self.i = 0

    def fail(self, position: int, what: str) -> None:
        near = self.text[position : position + 20]
        raise invalid(f"Invalid filter expression at position {position}: {what} (near '{near}').")

    def peek(self) -> tuple[str, str, int]:
        if self.i < len(self.tokens):
            return self.tokens[self.i]
        return ("end", "", len(self.text))

    def word(self, *expected: str) -> str:
        kind, value, pos = self.peek()
        if kind != "word" or (expected and value.upper() not in expected):
            self.fail(pos, f"expected {' or '.join(expected) or 'a name'}")
        self.i += 1
        return value

    def punct(self, symbol: str) -> None:
        kind, value, pos = self.peek()
        if kind != "punct" or value != symbol:
            self.fail(pos, f"expected '{symbol}'")
        self.i += 1

    def parse(self) -> list[Expression]:
        expressions = [self.expression()]
        while self.peek()[:2] == ("punct", "|"):
            self.i += 1
            expressions.append(self.expression())
        kind, _, pos = self.peek()
        if kind != "end":
            self.fail(pos, "expected AND, OR, IF, '|' or the end of the expression")
        return expressions

    def expression(self) -> Expression:
        action = self.word("INCLUDE", "EXCLUDE").upper()
        target = self.word("ITEMID", "USERID", "ACTIONID")
        self.word("WHERE")
        first_pos = self.peek()[2]
        groups = [[self.condition(user=False)]]
        while self.peek()[0] == "word" and self.peek()[1].upper() in ("AND", "OR"):
            joiner = self.word().upper()
            condition = self.condition(user=False)
            if joiner == "AND":
                groups[-1].append(condition)
            else:
                groups.append([condition])
        datasets = {c.dataset for g in groups for c in g}
        if len(datasets) > 1:
            self.fail(first_pos, "one expression cannot mix datasets; chain them with '|'")
        users = []
        if self.peek()[0] == "word" and self.peek()[1].upper() == "IF":
            self.i += 1
            users.append(self.condition(user=True))
            while self.peek()[0] == "word" and self.peek()[1].upper() == "AND":
                self.i += 1
                users.append(self.condition(user=True))
        return Expression(action, target, groups, users)

    def condition(self, user: bool) -> Condition:
        kind, value, pos = self.peek()
        if user:
            self.word("CURRENTUSER")
            dataset = "CurrentUser"
        else:
            if kind != "word" or value.lower() not in DATASETS:
                self.fail(pos, "expected Interactions, Items or CurrentItem")
            self.i += 1
            dataset = DATASETS[value.lower()]
        self.punct(".")
        field_pos = self.peek()[2]
        name = self.word()
        if dataset == "Interactions" and name != "EVENT_TYPE":
            self.fail(field_pos, "Interactions conditions can only use EVENT_TYPE")
        op = self.operator()
        values = self.values(op)
        if dataset == "Interactions" and op not in ("IN", "NOT IN"):
            self.fail(field_pos, "Interactions.EVENT_TYPE takes IN or NOT IN")
        return Condition(dataset, name, op, values)

    def operator(self) -> str:
        kind, value, pos = self.peek()
        if kind == "op":
            self.i += 1
            return value
        if kind == "word" and value.upper() == "IN":
            self.i += 1
            return "IN"
        if kind == "word" and value.upper() == "NOT":
            self.i += 1
            self.word("IN")
            return "NOT IN"
        self.fail(pos, "expected an operator (IN, NOT IN, =, !=, <, <=, >, >=)")
        return ""

    def value(self) -> Any:
        kind, value, pos = self.peek()
        self.i += 1
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", value[1:-1])
        if kind == "number":
            return float(value)
        if kind == "placeholder":
            return ("$", value[1:])
        if kind == "punct" and value == "*":
            return "*"
        self.i -= 1
        self.fail(pos, "expected a quoted string, a number or a $PLACEHOLDER")
        return None

    def values(self, op: str) -> list[Any]:
        if op in ("IN", "NOT IN"):
            self.punct("(")
            values = [self.value()]
            while self.peek()[:2] == ("punct", ","):
                self.i += 1
                values.append(self.value())
            self.punct(")")
            return values
        pos = self.peek()[2]
        value = self.value()
        if isinstance(value, str):
            self.fail(pos, f"operator {op} needs a number or a $PLACEHOLDER")
        return [value]


def parse_filter(text: str) -> list[Expression]:
    """The parsed expressions, or InvalidInputException with the error position."""
    return _Parser(text).parse()


def parse_values(raw: dict[str, str]) -> dict[str, list[Any]]:
    """filterValues: each value a comma-separated list of "quoted" strings or numbers."""
    out = {}
    for key, value in raw.items():
        items = re.findall(r'"((?:[^"\\]|\\.)*)"|([^,\s]+)', value)
        parsed: list[Any] = []
        for quoted, bare in items:
            if bare:
                try:
                    parsed.append(float(bare))
                except ValueError:
                    parsed.append(bare)
            else:
                parsed.append(re.sub(r"\\(.)", r"\1", quoted))
        out[key] = parsed
    return out


class MissingValue(Exception):
    pass


def _resolve(values: list[Any], supplied: dict[str, list[Any]]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, tuple):
            if v[1] not in supplied:
                raise MissingValue(v[1])
            out.extend(supplied[v[1]])
        else:
            out.append(v)
    return out


def _compare(op: str, left: Any, values: list[Any]) -> bool:
    """One scalar or multi-value (list) field against the condition's values."""
    lefts = left if isinstance(left, list) else [left]
    lefts = [x for x in lefts if x is not None and x == x]
    if op == "IN":
        return any(x in values for x in lefts)
    if op == "NOT IN":
        return not any(x in values for x in lefts)
    try:
        right = float(values[0])
        numbers = [float(x) for x in lefts]
    except (TypeError, ValueError, IndexError):
        return False
    tests = {
        "=": lambda a: a == right,
        "!=": lambda a: a != right,
        "<": lambda a: a < right,
        "<=": lambda a: a <= right,
        ">": lambda a: a > right,
        ">=": lambda a: a >= right,
    }
    return any(tests[op](a) for a in numbers)


@dataclass
class FilterContext:
    """What a filter looks at for one request."""

    item_ids: list[str]
    item_field: Any  # (field) -> list of values aligned with item_ids (lists for categories)
    user_events: dict[str, list[str]]  # event type (lower) -> recent item ids
    user: dict[str, Any]  # CurrentUser metadata
    current_item: dict[str, Any]  # CurrentItem metadata (related-items recipes)


def allowed_items(
    expressions: list[Expression], ctx: FilterContext, supplied: dict[str, list[Any]]
) -> set[str] | None:
    """Item IDs that may be recommended (None: every item), per the combination rules."""
    includes: set[str] | None = None
    excludes: set[str] = set()
    for expression in expressions:
        try:
            if not all(
                _compare(c.op, ctx.user.get(c.field), _resolve(c.values, supplied))
                for c in expression.user_conditions
            ):
                continue
            matched = _matching(expression, ctx, supplied)
        except MissingValue as missing:
            if expression.action == "EXCLUDE":
                continue
            raise invalid(
                f"The filter needs a value for placeholder ${missing.args[0]} in filterValues."
            ) from None
        if expression.action == "INCLUDE":
            includes = matched if includes is None else includes | matched
        else:
            excludes |= matched
    result = set(ctx.item_ids) if includes is None else includes
    if includes is None and not excludes:
        return None
    return result - excludes


def _matching(expression: Expression, ctx: FilterContext, supplied) -> set[str]:
    matched: set[str] = set()
    for group in expression.groups:
        selected: set[str] | None = None
        for c in group:
            values = _resolve(c.values, supplied)
            if c.dataset == "Interactions":
                wanted = {str(v).lower() for v in values}
                kinds = set(ctx.user_events) if "*" in wanted else wanted
                touched = {i for k in kinds for i in ctx.user_events.get(k, [])}
                if c.op == "IN":
                    hit = touched
                else:
                    everything = {i for items in ctx.user_events.values() for i in items}
                    hit = everything - touched
            elif c.dataset == "CurrentItem":
                ok = _compare(c.op, ctx.current_item.get(c.field), values)
                hit = set(ctx.item_ids) if ok else set()
            else:
                column = ctx.item_field(c.field)
                hit = {
                    i
                    for i, v in zip(ctx.item_ids, column, strict=True)
                    if _compare(c.op, v, values)
                }
            selected = hit if selected is None else selected & hit
        matched |= selected or set()
    return matched
