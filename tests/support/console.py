"""Driving the finance console over HTTP in tests: cookies sent by hand, because the
console's cookies are Secure outside dev and httpx keeps those for https."""

import re
from http.cookies import SimpleCookie

import httpx

from tests.support.servers import RunningReceiver


class Clerk:
    """A browser-like client of /finance: keeps the console's cookies, reads CSRF tokens."""

    def __init__(self, receiver: RunningReceiver) -> None:
        self.http = receiver.http
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def _remember(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            self.set_cookies.append(header)
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value or morsel.value == '""':
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def _headers(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    async def get(self, path: str) -> httpx.Response:
        response = await self.http.get(path, headers=self._headers())
        self._remember(response)
        return response

    async def post(self, path: str, fields: dict[str, str]) -> httpx.Response:
        response = await self.http.post(path, data=fields, headers=self._headers())
        self._remember(response)
        return response

    async def sign_in(self, token: str) -> httpx.Response:
        form = await self.get("/finance/signin")
        return await self.post("/finance/signin", {"csrf": csrf_of(form.text), "token": token})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)
