"""The SuiteTalk 2025.2 XSDs as one lxml ``XMLSchema``, for validating SOAP bodies.

The set has no single root schema, so a small wrapper schema ``xs:import``s every XSD. The XSDs
import each other with relative paths that only make sense under a URL root
(``../../../xsd/platform.coreTypes.xsd``); a resolver maps any such path back to the file in the
contracts folder. Loading takes a second or two, so the schema is built once per process and
reused; validating one message takes well under a millisecond.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from pathlib import Path

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
_PROJECT_DIR = Path(__file__).resolve().parents[2]
_XSD_NAME = re.compile(r"([A-Za-z]+\.[A-Za-z]+\.xsd)$")


def default_contract_dir() -> Path:
    base = os.environ.get("CONTRACTS_DIR") or str(_PROJECT_DIR.parent / "shared" / "contracts")
    return Path(base) / "netsuite" / "2025_2"


class _ContractResolver(etree.Resolver):
    def __init__(self, xsd_dir: Path):
        super().__init__()
        self.xsd_dir = xsd_dir

    def resolve(self, url, pubid, context):
        match = _XSD_NAME.search(url or "")
        if match and (self.xsd_dir / match.group(1)).is_file():
            return self.resolve_filename(str(self.xsd_dir / match.group(1)), context)
        return None


def _target_namespace(path: Path) -> str:
    for _event, element in etree.iterparse(str(path), events=("start",)):
        return element.get("targetNamespace")
    raise ValueError(f"{path} has no root element")


@functools.cache
def _load(contract_dir: str) -> etree.XMLSchema:
    xsd_dir = Path(contract_dir) / "xsd"
    files = sorted(xsd_dir.glob("*.xsd"))
    if not files:
        raise FileNotFoundError(f"no NetSuite XSDs in {xsd_dir} (set CONTRACTS_DIR)")
    imports = "".join(
        f'<xs:import namespace="{_target_namespace(f)}" schemaLocation="{f.name}"/>' for f in files
    )
    wrapper = f'<xs:schema xmlns:xs="{XS}" elementFormDefault="qualified">{imports}</xs:schema>'
    parser = etree.XMLParser(huge_tree=True)
    parser.resolvers.add(_ContractResolver(xsd_dir))
    # base_url puts relative schemaLocations inside the xsd folder.
    doc = etree.fromstring(wrapper.encode(), parser, base_url=str(xsd_dir / "wrapper.xsd"))
    return etree.XMLSchema(doc)


_lock = threading.Lock()


class ContractSchema:
    """Validates elements against the XSD set. lxml schemas are not safe to share across
    threads while validating, so validation is serialised (it is sub-millisecond)."""

    def __init__(self, contract_dir: Path | str | None = None):
        self.contract_dir = Path(contract_dir or default_contract_dir())
        self.schema = _load(str(self.contract_dir.resolve()))

    def errors(self, element: etree._Element) -> list[str]:
        """Validation errors for one element (e.g. the child of soap:Body); empty when valid."""
        # Validating a sub-element needs it as a document root; copy keeps the caller's tree.
        doc = etree.ElementTree(_detached(element))
        with _lock:
            ok = self.schema.validate(doc)
            log = [] if ok else [f"line {e.line}: {e.message}" for e in self.schema.error_log]
        return log


def _detached(element: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(element))


def body_payload(envelope: etree._Element) -> etree._Element:
    """The single element inside soap:Body."""
    body = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    if body is None or len(body) != 1:
        raise ValueError("SOAP envelope must have a Body with exactly one element")
    return body[0]
