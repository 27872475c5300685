from django.apps import AppConfig


class PanelConfig(AppConfig):
    """The top floor: connector pages, settings with their flows and Run buttons, the API for
    connectors. It may import every package below it; nothing imports it."""

    name = "panel"
    verbose_name = "Panel"

    def ready(self) -> None:
        import config.login_guard  # noqa: F401  (its signal receivers count failed logins)
