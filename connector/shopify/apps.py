from django.apps import AppConfig


class ShopifyConfig(AppConfig):
    name = "connector.shopify"
    label = "shopify"
    verbose_name = "Shopify"
