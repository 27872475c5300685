"""The suite never reaches past loopback (issue 11, item 8): the guard in tests/conftest.py."""

import socket

import pytest
import requests

from tests.conftest import OutboundNetworkBlocked


@pytest.mark.parametrize("address", [("93.184.216.34", 443), ("169.254.169.254", 80)])
def test_connections_past_loopback_are_refused(address):
    with socket.socket() as s, pytest.raises(OutboundNetworkBlocked):
        s.connect(address)


def test_names_other_than_loopback_are_not_even_looked_up():
    with pytest.raises(socket.gaierror, match="blocked"):
        socket.getaddrinfo("shop-1.myshopify.com", 443)
    with pytest.raises(requests.ConnectionError):
        requests.get("https://1234567-sb1.suitetalk.api.netsuite.com/", timeout=2)


def test_loopback_still_works():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
    assert socket.getaddrinfo("localhost", 80)
