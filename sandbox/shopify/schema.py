"""Loads the published Admin GraphQL schema once per process (it takes about 0.3 s)."""

from __future__ import annotations

import gzip
import json
import os
from functools import cache
from pathlib import Path

from graphql import GraphQLSchema, build_client_schema

SUPPORTED_VERSIONS = ("2026-10",)
PROJECT_DIR = Path(__file__).resolve().parents[2]


def default_contracts_dir() -> Path:
    """CONTRACTS_DIR from the environment, else <project>/../shared/contracts (as settings do)."""
    configured = os.environ.get("CONTRACTS_DIR")
    return Path(configured) if configured else PROJECT_DIR.parent / "shared" / "contracts"


def schema_path(version: str = "2026-10", contracts_dir: Path | str | None = None) -> Path:
    root = Path(contracts_dir) if contracts_dir else default_contracts_dir()
    return root / "shopify" / version / f"admin_{version}.json.gz"


@cache
def load_schema(version: str = "2026-10", contracts_dir: str | None = None) -> GraphQLSchema:
    path = schema_path(version, contracts_dir)
    if not path.is_file():
        raise FileNotFoundError(
            f"Shopify Admin schema {version} not found at {path}; set CONTRACTS_DIR to the "
            "folder that holds shopify/<version>/admin_<version>.json.gz"
        )
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return build_client_schema(json.load(handle)["data"])
