"""The data converter every client and worker uses."""

from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import WorkflowSerializationContext

from mootaflow.domain.moota import parse_mutation
from mootaflow.temporal.client import DATA_CONVERTER, PayloadConverter
from mootaflow.workflows.payment_types import PaymentInput
from tests.support.moota import mutation


def test_converters_share_one_type_adapter_cache() -> None:
    # The worker builds converters per workflow activation; none may rebuild adapters.
    value = PaymentInput(parse_mutation(mutation(amount="150123.45")))
    assert DATA_CONVERTER.payload_converter_class is PayloadConverter
    payloads = PayloadConverter().to_payloads([value])
    json_plain = PayloadConverter().converters[b"json/plain"]
    assert isinstance(json_plain, PydanticJSONPlainPayloadConverter)
    json_plain._type_adapter.cache_clear()  # the SDK's cache, one per instance
    for _ in range(5):
        converter = PayloadConverter()
        assert converter.converters[b"json/plain"] is json_plain
        [decoded] = converter.from_payloads(payloads, [PaymentInput])
        assert decoded == value
    info = json_plain._type_adapter.cache_info()
    assert (info.misses, info.hits) == (1, 4)


def test_a_converter_with_a_context_converts_alike() -> None:
    # The worker asks for one per workflow (WorkflowSerializationContext).
    context = WorkflowSerializationContext(namespace="default", workflow_id="moota-mutation-1")
    value = PaymentInput(parse_mutation(mutation(amount="150123.45")))
    converter = DATA_CONVERTER.with_context(context).payload_converter
    [decoded] = converter.from_payloads(converter.to_payloads([value]), [PaymentInput])
    assert decoded == value
