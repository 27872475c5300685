import base64
import hashlib
import hmac

from connector.netsuite import wsdl
from connector.netsuite.passport import TokenCredentials, make_nonce, passport_fields


def test_signature_matches_an_independently_computed_vector():
    creds = TokenCredentials("1234567_sb1", "ck-abc", "cs-def", "tok-ghi", "ts-jkl")
    fields = passport_fields(creds, nonce="fjRKHz0mQw7m", timestamp=1_700_000_000)

    # By hand, from NetSuite's documented recipe, not through our code.
    message = b"1234567_SB1&ck-abc&tok-ghi&fjRKHz0mQw7m&1700000000"
    key = b"cs-def&ts-jkl"
    expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()

    assert fields["signature"] == expected
    assert fields["account"] == "1234567_SB1"
    assert fields["timestamp"] == 1_700_000_000


def test_every_passport_is_fresh():
    creds = TokenCredentials("123", "ck", "cs", "t", "ts")
    first, second = passport_fields(creds), passport_fields(creds)
    assert first["nonce"] != second["nonce"]
    assert first["nonce"].isalnum() and 6 <= len(first["nonce"]) <= 64
    assert len(make_nonce(64)) == 64


def test_account_id_forms():
    assert wsdl.service_url("1234567_SB1") == (
        "https://1234567-sb1.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2"
    )
    assert wsdl.passport_account_id("1234567-sb1") == "1234567_SB1"
