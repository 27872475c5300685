"""Loading the SuiteTalk 2025.2 WSDL with zeep, once per process.

Where the WSDL comes from, first match wins:
1. ``NETSUITE_WSDL_URL`` (Django setting, else environment variable);
2. the local contracts folder (``settings.CONTRACTS_DIR`` / env ``CONTRACTS_DIR``), served from
   disk under a virtual URL because the WSDL's relative imports only resolve under a URL root
   (see shared/contracts/README.md);
3. NetSuite's public address, fetched once and kept in zeep's on-disk SQLite cache.

Building the zeep Client parses ~2.7 MB of schema, so it happens once per process and every
account gets a cheap service proxy from ``service_for``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from zeep import Client, Settings
from zeep.cache import SqliteCache
from zeep.proxy import ServiceProxy
from zeep.transports import Transport

PUBLIC_WSDL_URL = "https://webservices.netsuite.com/wsdl/v2025_2_0/netsuite.wsdl"
# Never contacted when the contracts are on disk: the offline transport serves this prefix.
VIRTUAL_ROOT = "https://webservices.netsuite.com/"
CONTRACT_SUBDIR = Path("netsuite") / "2025_2"
BINDING = "{urn:platform_2025_2.webservices.netsuite.com}NetSuiteBinding"
SERVICE_PATH = "/services/NetSuitePort_2025_2"

_PROJECT_DIR = Path(__file__).resolve().parents[2]

_lock = threading.Lock()
_client: Client | None = None


def _setting(name: str, default=None):
    """A Django setting when Django is configured, else the environment (the sandbox)."""
    try:
        from django.conf import settings

        if settings.configured and hasattr(settings, name):
            return getattr(settings, name)
    except ImportError:  # pragma: no cover - Django is a dependency
        pass
    return os.environ.get(name, default)


def contracts_dir() -> Path:
    """The shared contracts folder: the setting/env ``CONTRACTS_DIR`` or ``../shared/contracts``."""
    value = _setting("CONTRACTS_DIR")
    return Path(value) if value else _PROJECT_DIR.parent / "shared" / "contracts"


def netsuite_contract_dir(base: Path | str | None = None) -> Path:
    return Path(base or contracts_dir()) / CONTRACT_SUBDIR


def service_url(account_id: str) -> str:
    """NetSuite's per-account SOAP address; the host uses the account id in its DNS form."""
    return f"https://{account_host_id(account_id)}.suitetalk.api.netsuite.com{SERVICE_PATH}"


def account_host_id(account_id: str) -> str:
    """``1234567_SB1`` -> ``1234567-sb1`` (as NetSuite writes it in host names)."""
    return account_id.strip().lower().replace("_", "-")


def passport_account_id(account_id: str) -> str:
    """``1234567-sb1`` -> ``1234567_SB1`` (as NetSuite writes it in the tokenPassport)."""
    return account_id.strip().upper().replace("-", "_")


class OfflineTransport(Transport):
    """Serves the virtual WSDL root from the contracts folder and refuses any other fetch."""

    def __init__(self, root: Path, **kwargs):
        super().__init__(**kwargs)
        self.root = Path(root)

    def load(self, url):
        if url.startswith(VIRTUAL_ROOT):
            return (self.root / url[len(VIRTUAL_ROOT) :]).read_bytes()
        raise RuntimeError(f"offline WSDL transport: refusing to fetch {url}")


def _cache_dir() -> Path:
    value = _setting("NETSUITE_WSDL_CACHE_DIR")
    return Path(value) if value else _PROJECT_DIR / "var" / "cache"


def wsdl_location(contracts: Path | str | None = None) -> tuple[str, str]:
    """(source, url) per the resolution order in the module docstring; source is
    ``"setting"``, ``"contracts"`` or ``"public"``."""
    configured = _setting("NETSUITE_WSDL_URL")
    if configured:
        return "setting", str(configured)
    root = netsuite_contract_dir(contracts)
    if (root / "wsdl" / "v2025_2_0" / "netsuite.wsdl").is_file():
        return "contracts", VIRTUAL_ROOT + "wsdl/v2025_2_0/netsuite.wsdl"
    fallback = _setting("NETSUITE_WSDL_PUBLIC_FALLBACK", True)
    if fallback is False or str(fallback).lower() in ("0", "false", "no"):
        # The test suite: never reach NetSuite's public address.
        raise RuntimeError(f"No NetSuite WSDL at {root} and the public fallback is off.")
    return "public", PUBLIC_WSDL_URL


def build_client(contracts: Path | str | None = None) -> Client:
    """A new zeep Client (expensive: use ``get_client`` to share one)."""
    settings = Settings(strict=True, xml_huge_tree=True)
    source, url = wsdl_location(contracts)
    if source == "contracts":
        transport = OfflineTransport(netsuite_contract_dir(contracts))
    else:
        transport = _cached_transport()
    return Client(url, settings=settings, transport=transport)


def _cached_transport() -> Transport:
    folder = _cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # A WSDL version never changes once published, so the cache may keep it for a year.
    cache = SqliteCache(path=str(folder / "netsuite-wsdl.sqlite"), timeout=365 * 24 * 3600)
    return Transport(cache=cache)


def get_client() -> Client:
    """The process-wide zeep Client, built on first use."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = build_client()
    return _client


def service_for(address: str) -> ServiceProxy:
    return get_client().create_service(BINDING, address)
