from pathlib import Path

from connector.netsuite import wsdl


def test_local_contracts_are_used_offline(settings):
    settings.NETSUITE_WSDL_URL = ""
    source, url = wsdl.wsdl_location()
    assert source == "contracts"
    # Built from disk, with every import resolved and nothing fetched from the network.
    client = wsdl.build_client()
    assert client.wsdl.bindings[wsdl.BINDING]
    assert url.startswith(wsdl.VIRTUAL_ROOT)


def test_explicit_setting_wins(settings):
    settings.NETSUITE_WSDL_URL = "https://example.test/netsuite.wsdl"
    assert wsdl.wsdl_location() == ("setting", "https://example.test/netsuite.wsdl")


def test_public_address_without_contracts(settings, tmp_path: Path):
    settings.NETSUITE_WSDL_URL = ""
    settings.NETSUITE_WSDL_PUBLIC_FALLBACK = True
    assert wsdl.wsdl_location(tmp_path) == ("public", wsdl.PUBLIC_WSDL_URL)


def test_the_suite_never_falls_back_to_the_public_address(tmp_path: Path):
    import pytest

    with pytest.raises(RuntimeError, match="public fallback is off"):
        wsdl.wsdl_location(tmp_path)


def test_the_client_is_built_once_per_process():
    assert wsdl.get_client() is wsdl.get_client()


def test_offline_transport_refuses_other_hosts(tmp_path):
    transport = wsdl.OfflineTransport(tmp_path)
    try:
        transport.load("https://evil.example/x.xsd")
    except RuntimeError as exc:
        assert "refusing" in str(exc)
    else:
        raise AssertionError("fetched a remote URL")
