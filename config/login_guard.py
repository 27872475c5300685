"""Failed logins are limited per username and per client address, on every way in: the login
page, the API token endpoint and the Django admin all go through `authenticate()`.

Django's own hooks do it: `user_login_failed` counts a failure against the username and the
client address (in the cache: Redis in production, so every worker shares the counts);
`LockoutBackend` (Django's ModelBackend, the only backend) refuses while either count is at its
limit (PermissionDenied stops `authenticate()` before the password is checked); a successful login
clears the username's count. The client address is REMOTE_ADDR unless `NUM_PROXIES` trusted
proxies are configured: then it is the address the outermost trusted proxy saw, so rotating
`X-Forwarded-For` changes nothing.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver

LOCKED_MESSAGE = "Too many failed logins. Try again later."


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or with NUM_PROXIES trusted proxies in front the
    address the outermost of them appended to X-Forwarded-For (as DRF's throttles read it)."""
    meta = getattr(request, "META", {}) if request is not None else {}
    remote = meta.get("REMOTE_ADDR", "") or "unknown"
    proxies = settings.NUM_PROXIES
    if proxies > 0:
        forwarded = [a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if forwarded:
            return forwarded[-min(proxies, len(forwarded))]
    return remote


def _keys(request, username: str | None) -> list[tuple[str, int]]:
    keys = [(f"login-fail:addr:{client_address(request)}", settings.LOGIN_FAILURES_PER_ADDRESS)]
    if username:
        digest = hashlib.sha256(str(username).strip().lower().encode()).hexdigest()
        keys.append((f"login-fail:user:{digest}", settings.LOGIN_FAILURES_PER_USERNAME))
    return keys


def is_locked(request, username: str | None) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(request, username))


def _username(credentials: dict) -> str | None:
    from django.contrib.auth import get_user_model

    value = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username")
    return value if isinstance(value, str) else None


@receiver(user_login_failed)
def count_failure(sender, credentials, request=None, **kwargs):
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key, _limit in _keys(request, _username(credentials)):
        if not cache.add(key, 1, window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, window)


@receiver(user_logged_in)
def clear_username(sender, request, user, **kwargs):
    digest = hashlib.sha256(user.get_username().strip().lower().encode()).hexdigest()
    cache.delete(f"login-fail:user:{digest}")


class LockoutBackend(ModelBackend):
    """Django's ModelBackend that refuses every attempt while the username or the client
    address is locked out, before any password is checked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if is_locked(request, username):
            raise PermissionDenied(LOCKED_MESSAGE)
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_form_class():
    from django import forms
    from django.contrib.auth.forms import AuthenticationForm

    class LoginForm(AuthenticationForm):
        """Says "too many failed logins" instead of "wrong password" while locked out."""

        def clean(self):
            if is_locked(self.request, self.cleaned_data.get("username")):
                raise forms.ValidationError(LOCKED_MESSAGE, code="locked")
            return super().clean()

    return LoginForm
