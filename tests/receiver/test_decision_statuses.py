from mootaflow.domain import decisions
from mootaflow.receiver.decisions import HTTP_STATUS


def test_every_refusal_has_an_http_status() -> None:
    assert set(HTTP_STATUS) == decisions.REFUSALS
    # A refusal the caller can fix by changing the request is 422; one caused by the
    # payment's state, 409; only "nobody took it in time" is a 503.
    assert HTTP_STATUS[decisions.INVALID] == HTTP_STATUS[decisions.UNKNOWN_ORDER] == 422
    assert HTTP_STATUS[decisions.ALREADY_DECIDED] == 409
    assert HTTP_STATUS[decisions.EXPIRED] == 503
