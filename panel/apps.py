from django.apps import AppConfig


class PanelConfig(AppConfig):
    """The top floor: connector pages, settings with their flows and Run buttons, the API for
    connectors. It may import every package below it; nothing imports it."""

    name = "panel"
    verbose_name = "Panel"
