"""A run's input keeps what the worker need not be asked for, as configured at its start."""

from mootaflow.domain.moota import parse_mutation
from mootaflow.domain.settings import Settings
from mootaflow.temporal.starts import payment_input
from tests.support.moota import mutation


def test_a_run_asks_for_a_merchant_callback_only_where_one_is_configured() -> None:
    item = parse_mutation(mutation(amount=150000))
    bare = Settings(_env_file=None)
    assert not payment_input(item, bare).merchant_callback
    configured = bare.model_copy(
        update={
            "merchant_callback_url": "https://shop.example/moota",
            "merchant_callback_secret": "s3cret",
        }
    )
    assert payment_input(item, configured).merchant_callback
    assert not payment_input(item, configured).write_back  # no Moota token
