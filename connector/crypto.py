"""Encryption of connector credentials at rest.

Fernet (from `cryptography`) gives authenticated encryption with a versioned token format, so a
tampered or foreign ciphertext fails loudly instead of decrypting to garbage. MultiFernet lets
an operator rotate keys: the first key in CREDENTIALS_ENCRYPTION_KEYS encrypts, every key
decrypts.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .errors import RemoteError


class CredentialDecryptionError(RemoteError):
    """A stored credential cannot be decrypted with any configured key: no call can be made
    until a person fixes the keys or re-enters the credential."""

    system = "the panel"

    def __init__(self, message: str):
        super().__init__(message, retryable=False, code="CREDENTIALS_UNREADABLE")


KEY_HELP = (
    "make one with: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)


def key_problems(keys) -> list[str]:
    """What is wrong with CREDENTIALS_ENCRYPTION_KEYS, by position; never the keys themselves."""
    keys = [k.strip() for k in keys if k.strip()]
    if not keys:
        return ["CREDENTIALS_ENCRYPTION_KEYS holds no key."]
    problems = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            problems.append(
                f"CREDENTIALS_ENCRYPTION_KEYS: key {position} of {len(keys)} is not a "
                "url-safe base64 Fernet key of 32 bytes."
            )
    return problems


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys if key.strip()])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "CREDENTIALS_ENCRYPTION_KEYS must hold url-safe base64 Fernet keys "
            "(make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        ) from exc


def _current() -> MultiFernet:
    return _fernet(tuple(settings.CREDENTIALS_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def rotate(token: str) -> str:
    """The same secret encrypted with the first key (MultiFernet.rotate); any key may read it."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialDecryptionError(
            "A stored credential cannot be decrypted with any key in "
            "CREDENTIALS_ENCRYPTION_KEYS: keep the old key listed until rotation is done."
        ) from exc


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        # Never include the token itself: it is derived from the secret.
        raise CredentialDecryptionError(
            "A stored credential cannot be decrypted: was CREDENTIALS_ENCRYPTION_KEYS changed "
            "without keeping the old key? Re-enter the credential to fix it."
        ) from exc
