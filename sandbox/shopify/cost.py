"""Shopify's cost-based rate limit, simplified: requested cost and a leaky bucket per shop.

Cost rules (a simplification of Shopify's published ones): scalars and enums 0, an object 1,
a connection 2 + first * (cost of one node), a mutation 10. Lists that are not connections
count once, like an object.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    value_from_ast_untyped,
)

MUTATION_COST = 10
CONNECTION_COST = 2
MAX_SINGLE_QUERY_COST = 1000


def requested_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> int:
    if operation.operation == OperationType.MUTATION:
        return MUTATION_COST
    return _selection_cost(schema, schema.query_type, operation.selection_set, fragments, variables)


def _selection_cost(schema, parent, selection_set: SelectionSetNode | None, fragments, variables):
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += _field_cost(schema, parent, selection, fragments, variables)
        elif isinstance(selection, InlineFragmentNode):
            target = (
                schema.get_type(selection.type_condition.name.value)
                if selection.type_condition
                else parent
            )
            total += _selection_cost(schema, target, selection.selection_set, fragments, variables)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment:
                target = schema.get_type(fragment.type_condition.name.value)
                total += _selection_cost(
                    schema, target, fragment.selection_set, fragments, variables
                )
    return total


def _field_cost(schema, parent, node: FieldNode, fragments, variables) -> int:
    name = node.name.value
    if name.startswith("__") or not isinstance(parent, GraphQLObjectType):
        if is_abstract_type(parent):
            # Fields selected directly on an interface: cost as on any implementation.
            implementations = schema.get_possible_types(parent)
            parent = implementations[0] if implementations else None
        if parent is None or name.startswith("__"):
            return 0
    field = parent.fields.get(name)
    if field is None:
        return 0
    named = get_named_type(field.type)
    if is_leaf_type(named):
        return 0
    child = _selection_cost(schema, named, node.selection_set, fragments, variables)
    if named.name.endswith("Connection"):
        size = _page_size(node, variables)
        return CONNECTION_COST + size * _node_cost(schema, named, node, fragments, variables)
    return 1 + child


def _node_cost(schema, connection_type, node: FieldNode, fragments, variables) -> int:
    """Cost of one element: what is selected under edges.node and nodes (counted once)."""
    per_node = 0
    for selection in node.selection_set.selections if node.selection_set else []:
        if not isinstance(selection, FieldNode):
            continue
        if selection.name.value == "nodes":
            named = get_named_type(connection_type.fields["nodes"].type)
            per_node = max(
                per_node,
                1 + _selection_cost(schema, named, selection.selection_set, fragments, variables),
            )
        elif selection.name.value == "edges" and selection.selection_set:
            edge_type = get_named_type(connection_type.fields["edges"].type)
            for inner in selection.selection_set.selections:
                if isinstance(inner, FieldNode) and inner.name.value == "node":
                    named = get_named_type(edge_type.fields["node"].type)
                    per_node = max(
                        per_node,
                        1
                        + _selection_cost(schema, named, inner.selection_set, fragments, variables),
                    )
    return per_node


def _page_size(node: FieldNode, variables) -> int:
    for argument in node.arguments:
        if argument.name.value in ("first", "last"):
            value = value_from_ast_untyped(argument.value, variables)
            if isinstance(value, int):
                return max(0, value)
    return 1


class LeakyBucket:
    """Points restore continuously up to `maximum`; a request takes its cost up front."""

    def __init__(self, maximum: float = 1000.0, restore_rate: float = 100.0, clock=None):
        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self._clock = clock or time.monotonic
        self._available = self.maximum
        self._at = self._clock()
        self._lock = threading.Lock()
        self.min_available = self.maximum
        self.throttled_count = 0

    def _refill(self) -> None:
        now = self._clock()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now

    def take(self, cost: float) -> bool:
        with self._lock:
            self._refill()
            if cost > self._available:
                self.throttled_count += 1
                return False
            self._available -= cost
            self.min_available = min(self.min_available, self._available)
            return True

    def status(self) -> dict[str, float]:
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": self.maximum,
                "currentlyAvailable": int(self._available),
                "restoreRate": self.restore_rate,
            }

    def stats(self) -> dict[str, float]:
        return {
            "maximum": self.maximum,
            "restore_rate": self.restore_rate,
            "min_available": self.min_available,
            "throttled_count": self.throttled_count,
        }
