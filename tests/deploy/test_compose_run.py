"""The app run the way docker-compose runs it: the Dockerfile's gunicorn command with the
environment of .env.example and docker-compose.yml; then the web service's healthcheck command,
exactly as written, must pass (issue 11, item 10)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def compose_environment(port: int) -> dict[str, str]:
    """.env.example filled in as the README says, plus the compose file's `environment`, with
    the database and Redis on this machine instead of the compose network's `db`/`redis`."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(_env_example())
    env.update(
        SECRET_KEY="compose-test-" + "s" * 40,
        CREDENTIALS_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    env.update({k: str(v) for k, v in _compose()["services"]["web"]["environment"].items()})
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith("postgres"):
        database = f"sqlite:///{tempfile.gettempdir()}/compose-health-{os.getpid()}.sqlite3"
    env["DATABASE_URL"] = database
    env["REDIS_URL"] = os.environ.get("REDIS_URL", "")
    env["PORT"] = str(port)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn_command(port: int) -> list[str]:
    cmd = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.M)
    argv = json.loads(cmd.group(1))
    assert argv[0] == "gunicorn"
    argv = [str(Path(sys.executable).parent / "gunicorn"), *argv[1:]]
    return [a.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for a in argv]


def _healthcheck_command(port: int) -> list[str]:
    test = _compose()["services"]["web"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    argv = [a.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for a in test[1:]]
    assert argv[0] == "python"
    return [sys.executable, *argv[1:]]


def test_the_compose_healthcheck_passes_against_gunicorn_with_the_compose_settings():
    port = _free_port()
    env = compose_environment(port)
    assert env["DEBUG"] == "false" and env["SECURE_SSL_REDIRECT"] == "true"
    assert "127.0.0.1" not in env["ALLOWED_HOSTS"]
    server = subprocess.Popen(
        _gunicorn_command(port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            check = subprocess.run(
                _healthcheck_command(port), env=env, capture_output=True, text=True, timeout=30
            )
            if check.returncode == 0 or time.monotonic() > deadline or server.poll() is not None:
                break
            time.sleep(0.5)
        assert server.poll() is None, server.stdout.read()
        assert check.returncode == 0, check.stderr
        # The rest of the site still refuses a foreign Host and redirects plain HTTP.
        login = subprocess.run(
            [
                sys.executable,
                "-c",
                "import urllib.request, urllib.error\n"
                f"req = urllib.request.Request('http://127.0.0.1:{port}/login/', "
                "headers={'Host': 'panel.example.com'})\n"
                "class NoRedirect(urllib.request.HTTPRedirectHandler):\n"
                "    def redirect_request(self, *a, **k): return None\n"
                "try:\n"
                "    urllib.request.build_opener(NoRedirect).open(req, timeout=5)\n"
                "except urllib.error.HTTPError as e:\n"
                "    print(e.code, e.headers.get('Location'))\n",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert login.stdout.strip() == "301 https://panel.example.com/login/", login
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_port_is_published_on_loopback_by_default():
    ports = _compose()["services"]["web"]["ports"]
    assert ports == ["${BIND_ADDRESS:-127.0.0.1}:${PORT:-8000}:8000"]
    assert _env_example()["BIND_ADDRESS"] == "127.0.0.1"


def test_check_deploy_is_clean_with_the_compose_settings():
    env = compose_environment(_free_port())
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
