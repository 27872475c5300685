"""Validators for connector fields, shared by the model, the forms and the API."""

import re

from croniter import croniter
from django.core.exceptions import ValidationError

SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}\.myshopify\.com$")
API_VERSION_RE = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")
# NetSuite account ids: digits, optionally a sandbox/release-preview suffix (1234567_SB1),
# or test-drive accounts (TSTDRV1234567).
NETSUITE_ACCOUNT_RE = re.compile(r"^[A-Za-z0-9]{1,32}(_(SB|RP)\d{1,2})?$", re.IGNORECASE)


def validate_shop_domain(value: str) -> None:
    if not SHOP_DOMAIN_RE.match(value or ""):
        raise ValidationError(
            "Enter the store's permanent domain, like your-store.myshopify.com "
            "(lower case, no https:// and no path).",
            code="invalid_shop_domain",
        )


def validate_api_version(value: str) -> None:
    if not API_VERSION_RE.match(value or ""):
        raise ValidationError(
            "Enter a Shopify API version like 2026-10 (year-month of a quarterly release).",
            code="invalid_api_version",
        )


def validate_netsuite_account_id(value: str) -> None:
    if not NETSUITE_ACCOUNT_RE.match(value or ""):
        raise ValidationError(
            "Enter the NetSuite account id as shown under Setup › Company › Company "
            "Information, like 1234567 or 1234567_SB1.",
            code="invalid_account_id",
        )


def validate_cron(value: str) -> None:
    if value and (len(value.split()) != 5 or not croniter.is_valid(value)):
        raise ValidationError(
            "Enter a cron expression with five fields (minute hour day month weekday), "
            "like */15 * * * *.",
            code="invalid_cron",
        )


def validate_internal_id(value: str) -> None:
    """A NetSuite internal id: digits only (empty means not set)."""
    if value and not str(value).isdigit():
        raise ValidationError("Enter the NetSuite internal id: digits only, e.g. 1234.")


def validate_shopify_legacy_id(value: str) -> None:
    """A Shopify legacy id: digits only, the number at the end of the record's admin URL."""
    if value and not str(value).isdigit():
        raise ValidationError(
            "Enter the Shopify id: digits only, the number at the end of its admin URL."
        )
