"""The data converter every client and worker uses."""

from mootaflow.domain.moota import parse_mutation
from mootaflow.temporal.client import DATA_CONVERTER, _type_adapter
from mootaflow.workflows.payment_types import PaymentInput
from tests.support.moota import mutation


def test_converters_share_one_type_adapter_cache() -> None:
    # The worker builds a converter per workflow run; each must not rebuild adapters.
    value = PaymentInput(parse_mutation(mutation(amount="150123.45")))
    payloads = DATA_CONVERTER.payload_converter_class().to_payloads([value])
    _type_adapter.cache_clear()
    for _ in range(5):
        [decoded] = DATA_CONVERTER.payload_converter_class().from_payloads(payloads, [PaymentInput])
        assert decoded == value
    info = _type_adapter.cache_info()
    assert (info.misses, info.hits) == (1, 4)
