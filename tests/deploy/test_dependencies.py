"""The lock the audit reads is complete (issue 11, item 11): CI runs pip-audit over
constraints.txt (`make audit` in .ci/run), so every installed distribution must be pinned there
at the version installed, or the audit would vouch for code it never saw."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_LOCKED = {"shopify-netsuite-panel", "pip", "setuptools", "wheel"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_norm(name)] = version.strip()
    return pins


def test_every_installed_distribution_is_pinned_at_its_installed_version():
    pins = _pins()
    installed = {_norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
    unpinned = {n: v for n, v in installed.items() if n not in pins and n not in NOT_LOCKED}
    assert not unpinned, f"add to constraints.txt: {unpinned}"
    drift = {n: (v, pins[n]) for n, v in installed.items() if n in pins and pins[n] != v}
    assert not drift, f"installed != pinned: {drift}"


def test_every_declared_dependency_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    pins = _pins()
    for requirement in declared:
        name = re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0]
        assert _norm(name) in pins, requirement


def test_ci_audits_the_lock():
    assert "make audit" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    audit = makefile[makefile.index("\naudit:") :].split("\n\n")[0]
    assert "pip_audit" in audit and "-r constraints.txt" in audit
