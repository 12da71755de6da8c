"""The console's sign-in session and CSRF tokens, in signed cookies.

No server-side state: the session cookie carries the clerk's name, when it
expires, its CSRF token and a digest of the finance token it was opened with,
signed with MOOTAFLOW_CONSOLE_SESSION_SECRET. Any receiver replica with the same
secret accepts it; removing or changing a person's finance token ends their open
sessions; the expiry is inside the signature, so nobody can extend it.

CSRF: every form carries the session's token (sign-in, before any session, the
token of a short-lived signed cookie set with the form) and a POST without the
matching one is refused. The cookies are SameSite=Lax as a second line.
"""

import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from mootaflow.domain.errors import Forbidden, Unauthenticated, Unavailable
from mootaflow.domain.settings import Settings
from mootaflow.receiver.context import settings_of

SESSION_COOKIE = "mootaflow_console"
SIGNIN_COOKIE = "mootaflow_console_signin"
FLASH_COOKIE = "mootaflow_console_flash"
PATH = "/finance"
_SIGNIN_SECONDS = 30 * 60
_FLASH_SECONDS = 120


class SessionExpired(Unauthenticated):
    """A session that was valid once: the clerk signs in again."""


@dataclass(frozen=True)
class ConsoleSession:
    name: str
    csrf: str
    expires_at: float


def _serializer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    keys = settings.console_secrets
    if not keys:
        raise Unavailable(
            "console_off",
            "the finance console is off: set MOOTAFLOW_CONSOLE_SESSION_SECRET "
            "(the same on every receiver)",
            retry_after=3600,
        )
    # itsdangerous signs with the last key and accepts any: ours lists the signing one first.
    return URLSafeTimedSerializer(list(reversed(keys)), salt=f"mootaflow-console-{purpose}")


def token_digest(token: str) -> str:
    """Ties a session to its finance token without putting the token in the cookie."""
    return hmac.new(token.encode(), b"mootaflow-console-session", hashlib.sha256).hexdigest()[:32]


def _cookie(response: Response, settings: Settings, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PATH,
        httponly=True,
        samesite="lax",
        # Over plain HTTP only in dev; production sits behind TLS.
        secure=settings.env != "dev",
    )


def open_session(response: Response, settings: Settings, name: str, token: str) -> None:
    seconds = math.ceil(settings.console_session_hours * 3600)
    payload = {
        "n": name,
        "c": secrets.token_urlsafe(24),
        "x": time.time() + seconds,
        "d": token_digest(token),
    }
    value = _serializer(settings, "session").dumps(payload)
    _cookie(response, settings, SESSION_COOKIE, value, seconds)
    response.delete_cookie(SIGNIN_COOKIE, path=PATH)


def close_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=PATH)


def current_session(request: Request) -> ConsoleSession:
    """The signed-in clerk; Unauthenticated (SessionExpired for an old one) otherwise."""
    settings = settings_of(request)
    serializer = _serializer(settings, "session")
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        raise Unauthenticated("sign_in", "sign in with your finance token")
    try:
        # The signature's age is a backstop; the expiry inside it is what counts.
        payload: dict[str, Any] = serializer.loads(
            raw, max_age=math.ceil(settings.console_session_hours * 3600)
        )
        name, csrf, expires, digest = payload["n"], payload["c"], payload["x"], payload["d"]
    except (BadSignature, KeyError, TypeError, ValueError):
        raise SessionExpired("session_expired", "your session has ended; sign in again") from None
    if not isinstance(expires, (int, float)) or expires < time.time():
        raise SessionExpired("session_expired", "your session has ended; sign in again")
    # The token it was opened with must still be that person's.
    valid = [
        hmac.compare_digest(str(digest), token_digest(token))
        for token, owner in settings.finance_token_names.items()
        if owner == name
    ]
    if not any(valid):
        raise SessionExpired("session_expired", "your finance token changed; sign in again")
    return ConsoleSession(str(name), str(csrf), float(expires))


def check_csrf(session: ConsoleSession, fields: dict[str, str]) -> None:
    if not hmac.compare_digest(fields.get("csrf", "").encode(), session.csrf.encode()):
        raise Forbidden("csrf", "this form is not one the console gave you; reload and retry")


def signin_token(request: Request) -> tuple[str, bool]:
    """The sign-in form's CSRF token: the one in its cookie, or a new one (True)."""
    token = _signin_cookie(request)
    if token:
        return token, False
    return secrets.token_urlsafe(24), True


def _signin_cookie(request: Request) -> str:
    """The sign-in CSRF token its cookie carries; empty when missing, forged or old."""
    serializer = _serializer(settings_of(request), "signin")
    try:
        token: str = serializer.loads(
            request.cookies.get(SIGNIN_COOKIE, ""), max_age=_SIGNIN_SECONDS
        )
    except BadSignature:
        return ""
    return token


def remember_signin_token(response: Response, settings: Settings, token: str) -> None:
    value = _serializer(settings, "signin").dumps(token)
    _cookie(response, settings, SIGNIN_COOKIE, value, _SIGNIN_SECONDS)


def check_signin_csrf(request: Request, fields: dict[str, str]) -> None:
    expected = _signin_cookie(request)
    given = fields.get("csrf", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("csrf", "the sign-in form expired or was not ours; reload and retry")


def set_flash(response: Response, settings: Settings, kind: str, text: str) -> None:
    """A one-time message for the next page (the answer to a decision)."""
    value = _serializer(settings, "flash").dumps([kind, text[:1000]])
    _cookie(response, settings, FLASH_COOKIE, value, _FLASH_SECONDS)


def read_flash(request: Request) -> tuple[str, str] | None:
    """The message left for this page, if any (the page deletes its cookie)."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        kind, text = _serializer(settings_of(request), "flash").loads(raw, max_age=_FLASH_SECONDS)
    except (BadSignature, ValueError, TypeError):
        return None
    return str(kind), str(text)
