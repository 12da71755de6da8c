"""How Moota's PHP/Laravel backend writes JSON and pages, reproduced byte for byte.

PHP's `json_encode` writes compact JSON, escapes `/` as `\\/` and non-ASCII as
`\\uXXXX`; Laravel's `paginate()` wraps lists in the object of
`../shared/fixtures/moota-api/mutation-list-page1.json`, whose page URLs carry
only `?page=N` (the filters are not appended: a client must resend them).
"""

import json
from typing import Any

from starlette.responses import Response


def php_json(value: object) -> bytes:
    # "/" occurs in JSON text only inside strings, so replacing it escapes exactly those.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode()


class PhpJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return php_json(content)


def laravel_page(items: list[Any], *, page: int, per_page: int, path: str) -> dict[str, Any]:
    """Laravel's LengthAwarePaginator as JSON, keys in its order."""
    total = len(items)
    last_page = max(1, -(-total // per_page))
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    return {
        "current_page": page,
        "data": chunk,
        "first_page_url": f"{path}?page=1",
        "from": start + 1 if chunk else None,
        "last_page": last_page,
        "last_page_url": f"{path}?page={last_page}",
        "links": [],
        "next_page_url": f"{path}?page={page + 1}" if page < last_page else None,
        "path": path,
        "per_page": per_page,
        "prev_page_url": f"{path}?page={page - 1}" if page > 1 else None,
        "to": start + len(chunk) if chunk else None,
        "total": total,
    }
