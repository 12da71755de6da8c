"""Accounting over HTTP: GET /api/reports/payments.csv and GET /api/reports/daily
(finance token). The console serves the same through its session."""

from collections.abc import Mapping
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from mootaflow.domain.moota import JAKARTA
from mootaflow.receiver.auth import require_finance
from mootaflow.receiver.context import sessions_of
from mootaflow.services import params, reports
from mootaflow.store.db import Sessions


async def payments_csv(request: Request) -> Response:
    require_finance(request)
    return csv_response(sessions_of(request), request.query_params)


def csv_response(sessions: Sessions, query: Mapping[str, str]) -> StreamingResponse:
    """The export, streamed: rows are read and sent a page at a time, so any range fits.
    Parameters are checked before the first byte: a bad one is a 400, not a cut file."""
    days = params.required_days(query.get("from"), query.get("to"))
    statuses = params.status(query.get("status"), params.ANY_STATUS)
    name = f"payments-{days.first.isoformat()}-{days.last.isoformat()}.csv"
    return StreamingResponse(
        reports.payments_csv(sessions, days, statuses),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def summary_days(query: Mapping[str, str]) -> params.Days:
    """`from`/`to`, by default the last seven days (Jakarta)."""
    if not query.get("from") and not query.get("to"):
        today = datetime.now(JAKARTA).date()
        return params.Days(today - timedelta(days=6), today)
    return params.required_days(
        query.get("from"), query.get("to"), max_days=reports.MAX_SUMMARY_DAYS
    )


async def daily(request: Request) -> Response:
    require_finance(request)
    query = request.query_params
    days = summary_days(query)
    account = params.text(query.get("account"), "account")
    rows = await reports.daily_summary(sessions_of(request), days, account)
    return JSONResponse(reports.summary_view(days, account, rows))
