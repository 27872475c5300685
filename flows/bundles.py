"""Placeholder until the bundles work lands: no bundles."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Component:
    sku: str
    quantity: int
    weight: Decimal


def components_for(connector, skus: set[str]) -> dict[str, tuple[Component, ...]]:
    return {}


def explode(line: dict, components: tuple[Component, ...]) -> list[dict]:
    raise NotImplementedError
