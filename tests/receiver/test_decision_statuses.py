from mootaflow.domain import decisions
from mootaflow.domain.errors import ServiceError
from mootaflow.receiver.errors import status_of
from mootaflow.services.decisions import REFUSAL_ERRORS


def _status(refusal: str) -> int:
    error: ServiceError = REFUSAL_ERRORS[refusal](refusal, "why")
    return status_of(error)


def test_every_refusal_has_an_http_status() -> None:
    assert set(REFUSAL_ERRORS) == decisions.REFUSALS
    # A refusal the caller can fix by changing the request is 422; one caused by the
    # payment's state, 409; only "nobody took it in time" is a 503.
    assert _status(decisions.INVALID) == _status(decisions.UNKNOWN_ORDER) == 422
    assert _status(decisions.ALREADY_DECIDED) == 409
    assert _status(decisions.EXPIRED) == 503
