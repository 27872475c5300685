"""The GraphQL documents the client sends, one file each in operations/<name>.graphql.

Keeping documents out of Python lets tests validate every one against the published schema,
and lets the client know from the document itself whether it is a mutation and carries an
`@idempotent` key (which decides whether a timed-out call may be sent again).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graphql import OperationDefinitionNode, OperationType, parse, visit
from graphql.language import DirectiveNode, FragmentSpreadNode, Visitor

OPERATIONS_DIR = Path(__file__).resolve().parent / "operations"
# Selections shared by several operations (e.g. the full order), one fragment per file named
# after it; an operation gets exactly the fragments it spreads, so each stays a valid document.
FRAGMENTS_DIR = Path(__file__).resolve().parent / "fragments"


@dataclass(frozen=True)
class Operation:
    name: str
    text: str
    is_mutation: bool
    idempotent: bool


class _IdempotentFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_directive(self, node: DirectiveNode, *_args) -> None:
        if node.name.value == "idempotent":
            self.found = True


class _SpreadFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_args) -> None:
        self.names.add(node.name.value)


def _spreads(text: str) -> set[str]:
    finder = _SpreadFinder()
    visit(parse(text), finder)
    return finder.names


@cache
def load_fragment(name: str) -> str:
    path = FRAGMENTS_DIR / f"{name}.graphql"
    if not path.is_file():
        raise KeyError(f"No GraphQL fragment named {name!r} in {FRAGMENTS_DIR}")
    return path.read_text(encoding="utf-8")


def _with_fragments(text: str) -> str:
    included: dict[str, str] = {}
    pending = _spreads(text)
    while pending:
        name = pending.pop()
        if name not in included:
            included[name] = load_fragment(name)
            pending |= _spreads(included[name]) - set(included)
    return "\n".join([text, *(included[name] for name in sorted(included))])


def operation_names() -> list[str]:
    return sorted(p.stem for p in OPERATIONS_DIR.glob("*.graphql"))


@cache
def load_operation(name: str) -> Operation:
    path = OPERATIONS_DIR / f"{name}.graphql"
    if not path.is_file():
        raise KeyError(f"No GraphQL operation named {name!r} in {OPERATIONS_DIR}")
    text = _with_fragments(path.read_text(encoding="utf-8"))
    document = parse(text)
    definitions = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    is_mutation = any(d.operation == OperationType.MUTATION for d in definitions)
    finder = _IdempotentFinder()
    visit(document, finder)
    return Operation(name=name, text=text, is_mutation=is_mutation, idempotent=finder.found)
