"""POST /api/orders/{ref}/check: the customer says "I have paid" (services/checks.py)."""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mootaflow.receiver.auth import require_api_key
from mootaflow.receiver.context import databases_of, settings_of, temporal_of
from mootaflow.receiver.state import app_state
from mootaflow.services.checks import check_order as check


async def check_order(request: Request) -> Response:
    require_api_key(request)
    answer = await check(
        databases_of(request),
        settings_of(request),
        temporal_of(request),
        app_state(request)["moota"],
        request.path_params["ref"],
    )
    return JSONResponse(answer, status_code=202)
