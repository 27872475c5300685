from django.apps import AppConfig


class NetSuiteConfig(AppConfig):
    name = "connector.netsuite"
    label = "netsuite"
    verbose_name = "NetSuite"
