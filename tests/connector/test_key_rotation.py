"""Key rotation keeps every credential (issue 11, item 2) and a malformed
CREDENTIALS_ENCRYPTION_KEYS stops the start naming the setting (item 3)."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError

from connector.crypto import CredentialDecryptionError
from connector.models import SECRET_FIELDS, Connector
from tests.factories import SECRETS, make_connector

ROOT = Path(__file__).resolve().parents[2]
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _secrets(pk) -> dict:
    connector = Connector.objects.get(pk=pk)
    return {name: connector.get_secret(name) for name in SECRET_FIELDS}


@pytest.mark.django_db
def test_the_documented_three_steps_keep_every_credential(settings):
    settings.CREDENTIALS_ENCRYPTION_KEYS = [OLD]
    pks = [make_connector().pk for _ in range(3)]
    empty = make_connector(secrets={}).pk

    # 1. Add the new key first; the old one still decrypts.
    settings.CREDENTIALS_ENCRYPTION_KEYS = [NEW, OLD]
    assert all(_secrets(pk) == SECRETS for pk in pks)

    # 2. Rotate.
    out = StringIO()
    call_command("rotate_credentials", stdout=out)
    assert f"Re-encrypted {3 * len(SECRET_FIELDS)} credential(s) of 3 connector(s)" in (
        out.getvalue()
    )

    # 3. Drop the old key: everything still reads, and the old key alone reads nothing.
    settings.CREDENTIALS_ENCRYPTION_KEYS = [NEW]
    assert all(_secrets(pk) == SECRETS for pk in pks)
    assert all(v == "" for v in _secrets(empty).values())
    settings.CREDENTIALS_ENCRYPTION_KEYS = [OLD]
    with pytest.raises(CredentialDecryptionError):
        _secrets(pks[0])


@pytest.mark.django_db
def test_rotation_is_repeatable(settings):
    settings.CREDENTIALS_ENCRYPTION_KEYS = [OLD]
    pk = make_connector().pk
    settings.CREDENTIALS_ENCRYPTION_KEYS = [NEW, OLD]
    call_command("rotate_credentials", stdout=StringIO())
    call_command("rotate_credentials", stdout=StringIO())
    settings.CREDENTIALS_ENCRYPTION_KEYS = [NEW]
    assert _secrets(pk) == SECRETS


@pytest.mark.django_db
def test_rotating_without_the_old_key_refuses_and_changes_nothing(settings):
    settings.CREDENTIALS_ENCRYPTION_KEYS = [OLD]
    connector = make_connector()
    before = connector.shopify_access_token_encrypted
    settings.CREDENTIALS_ENCRYPTION_KEYS = [NEW]  # step 1 skipped
    with pytest.raises(CommandError, match="keep the old key"):
        call_command("rotate_credentials", stdout=StringIO())
    connector.refresh_from_db()
    assert connector.shopify_access_token_encrypted == before


@pytest.mark.parametrize(
    "keys",
    [["not-a-fernet-key"], [NEW, "short"], [], [" "]],
    ids=["garbage", "second-key-bad", "empty", "blank"],
)
def test_malformed_keys_are_a_system_check_error(settings, keys):
    settings.CREDENTIALS_ENCRYPTION_KEYS = keys
    with pytest.raises(SystemCheckError) as caught:
        call_command("check")
    text = str(caught.value)
    assert "connector.E001" in text and "CREDENTIALS_ENCRYPTION_KEYS" in text
    for key in keys:
        if key.strip():
            assert key not in text.replace("CREDENTIALS_ENCRYPTION_KEYS", "")


def test_good_keys_pass_the_check(settings):
    settings.CREDENTIALS_ENCRYPTION_KEYS = [NEW, OLD]
    call_command("check", stdout=StringIO())


@pytest.mark.parametrize("command", [["manage.py", "check"], ["-c", "import config.wsgi"]])
def test_the_process_does_not_start_with_a_malformed_key(command):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "SECRET_KEY": "x" * 50,
        "CREDENTIALS_ENCRYPTION_KEYS": "this-is-not-a-key",
        "DATABASE_URL": "sqlite:////tmp/never-created-by-this-test.sqlite3",
    }
    done = subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "CREDENTIALS_ENCRYPTION_KEYS" in done.stderr


@pytest.mark.django_db
def test_rotation_takes_the_alert_webhook_url_too(settings):
    from connector.actions import update_alert_settings
    from connector.models import AlertSettings
    from tests.factories import make_admin

    settings.CREDENTIALS_ENCRYPTION_KEYS = [OLD]
    connector = make_connector()
    url = "http://127.0.0.1:9/services/T0KEN"
    update_alert_settings(make_admin(), connector, {}, webhook_url=url)
    settings.CREDENTIALS_ENCRYPTION_KEYS = [NEW, OLD]
    out = StringIO()
    call_command("rotate_credentials", stdout=out)
    assert f"Re-encrypted {len(SECRET_FIELDS) + 1} credential(s)" in out.getvalue()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [NEW]
    assert AlertSettings.objects.get().get_webhook_url() == url
