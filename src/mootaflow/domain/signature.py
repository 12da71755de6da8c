"""Moota webhook signature: lowercase hex HMAC-SHA256 of the raw request body."""

import hashlib
import hmac
from collections.abc import Iterable

SIGNATURE_HEADER = "Signature"


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, signature: str | None, secrets: Iterable[str]) -> bool:
    """True when `signature` matches the body under any configured secret (rotation).

    Compares bytes in constant time and checks every secret, so timing reveals
    neither how much of the signature matched nor which secret did.
    """
    if not signature:
        return False
    # Header values arrive latin-1 decoded; encoding back is lossless for any str.
    provided = signature.strip().lower().encode("latin-1", errors="replace")
    matches = [hmac.compare_digest(sign(body, secret).encode(), provided) for secret in secrets]
    return any(matches)
