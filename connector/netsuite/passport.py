"""Token-based authentication: a fresh, signed ``tokenPassport`` for every request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
import time
from dataclasses import dataclass

from .wsdl import passport_account_id

_ALPHANUMERICS = string.ascii_letters + string.digits
ALGORITHM = "HMAC-SHA256"


@dataclass(frozen=True)
class TokenCredentials:
    account_id: str
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str

    def __repr__(self) -> str:  # keeps secrets out of logs and tracebacks
        return f"TokenCredentials(account_id={self.account_id!r}, consumer_key=***)"


def make_nonce(length: int = 20) -> str:
    if not 6 <= length <= 64:
        raise ValueError("NetSuite nonces are 6 to 64 characters")
    return "".join(secrets.choice(_ALPHANUMERICS) for _ in range(length))


def sign(
    account: str,
    consumer_key: str,
    consumer_secret: str,
    token_id: str,
    token_secret: str,
    nonce: str,
    timestamp: int,
) -> str:
    """Base64(HMAC-SHA256(consumerSecret&tokenSecret, account&consumerKey&token&nonce&ts))."""
    base = "&".join([account, consumer_key, token_id, nonce, str(timestamp)])
    key = f"{consumer_secret}&{token_secret}"
    digest = hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def passport_fields(creds: TokenCredentials, *, nonce=None, timestamp=None) -> dict:
    """The tokenPassport values; the account is written as NetSuite does (``123_SB1``)."""
    account = passport_account_id(creds.account_id)
    nonce = nonce or make_nonce()
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    signature = sign(
        account,
        creds.consumer_key,
        creds.consumer_secret,
        creds.token_id,
        creds.token_secret,
        nonce,
        timestamp,
    )
    return {
        "account": account,
        "consumerKey": creds.consumer_key,
        "token": creds.token_id,
        "nonce": nonce,
        "timestamp": timestamp,
        "signature": signature,
    }


def build_passport(zeep_client, creds: TokenCredentials, **kw):
    """The zeep ``TokenPassport`` object for the SOAP header."""
    core = zeep_client.type_factory("urn:core_2025_2.platform.webservices.netsuite.com")
    fields = passport_fields(creds, **kw)
    signature = core.TokenPassportSignature(fields.pop("signature"), algorithm=ALGORITHM)
    return core.TokenPassport(signature=signature, **fields)
