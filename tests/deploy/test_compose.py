"""docker-compose.yml cannot run here; keep it consistent with the settings instead."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _env_example_names():
    names = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=", line)
        if match:
            names.add(match.group(1))
    return names


def test_services_images_and_health_checks():
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for name in ("web", "worker", "migrate"):
        assert services[name]["image"] == "shopify-netsuite-panel:latest"
        assert services[name]["build"] == "."
        assert services[name]["env_file"] == ".env"
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "gunicorn" not in str(services["worker"]["command"])
    assert services["worker"]["command"] == ["python", "manage.py", "qcluster"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "gunicorn" in dockerfile and "collectstatic" in dockerfile


def test_environment_names_match_settings_and_env_example():
    compose = _compose()
    settings_text = (ROOT / "config" / "settings.py").read_text()
    example = _env_example_names()
    app_env = compose["services"]["web"]["environment"]
    for name in app_env:
        assert f'"{name}"' in settings_text, f"{name} is not read by the settings"
    for required in (
        "SECRET_KEY",
        "CREDENTIALS_ENCRYPTION_KEYS",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "DEBUG",
    ):
        assert required in example
        assert f'"{required}"' in settings_text
    # Every ${VAR} the compose file interpolates is documented in .env.example.
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    assert interpolated <= example, interpolated - example


def test_settings_read_every_documented_variable():
    settings_text = (ROOT / "config" / "settings.py").read_text()
    compose_only = {
        "POSTGRES_DB",
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "PORT",
        "BIND_ADDRESS",
        "DEMO_PASSWORD",
    }
    for name in _env_example_names() - compose_only:
        assert f'"{name}"' in settings_text, f"{name} is documented but never read"
