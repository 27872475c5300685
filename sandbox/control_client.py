"""A client for a sandbox's /_control API (what a shop's staff or a NetSuite user would do),
shared by the demo seeding in `make run` and the test fixtures."""

import requests


class ControlError(RuntimeError):
    """The sandbox refused a control request; the message carries its answer."""


class ControlClient:
    def __init__(self, base_url: str, timeout: float = 10):
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.timeout = timeout

    def get(self, path: str, **params):
        response = self.http.get(
            f"{self.base_url}/_control/{path}", params=params, timeout=self.timeout
        )
        return self._answer(path, response)

    def post(self, path: str, payload: dict | None = None):
        response = self.http.post(
            f"{self.base_url}/_control/{path}", json=payload or {}, timeout=self.timeout
        )
        return self._answer(path, response)

    @staticmethod
    def _answer(path: str, response: requests.Response):
        if response.status_code >= 400:
            raise ControlError(f"control {path}: {response.status_code} {response.text}")
        return response.json()
