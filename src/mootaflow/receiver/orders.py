"""Merchant API: POST /api/orders, GET /api/orders/{ref}."""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mootaflow.receiver.auth import require_api_key
from mootaflow.receiver.body import json_object
from mootaflow.receiver.context import sessions_of, settings_of
from mootaflow.services.orders import find_order, new_order, place_order


async def create_order(request: Request) -> Response:
    require_api_key(request)
    new = new_order(await json_object(request))
    order, created = await place_order(sessions_of(request), settings_of(request), new)
    return JSONResponse(order, status_code=201 if created else 200)


async def show_order(request: Request) -> Response:
    require_api_key(request)
    return JSONResponse(await find_order(sessions_of(request), request.path_params["ref"]))
