"""What is written back on Moota's mutations, from the payment's state."""

from mootaflow.domain.writeback import MAX_NOTE, WriteBack, tag_changes, wanted_write_back


def test_a_paid_payment_gets_its_invoice_noted_and_paid_and_order_tags() -> None:
    wanted = wanted_write_back("paid", "MF-7K3P-9QXZ", "INV-202611-00001", None)
    assert wanted == WriteBack(
        "INV-202611-00001 order MF-7K3P-9QXZ (mootaflow)", ("paid", "MF-7K3P-9QXZ")
    )


def test_a_paid_payment_without_invoice_yet_is_tagged_but_its_note_left_alone() -> None:
    assert wanted_write_back("paid", "MF-7K3P-9QXZ", None, None) == WriteBack(
        None, ("paid", "MF-7K3P-9QXZ")
    )


def test_flagged_and_unresolved_payments_are_tagged_with_the_reason() -> None:
    assert wanted_write_back("awaiting_approval", None, None, "underpaid") == WriteBack(
        None, ("flagged", "underpaid")
    )
    assert wanted_write_back("unresolved", "MF-1", None, "no_match") == WriteBack(
        None, ("flagged", "no_match")
    )


def test_rejected_payments_are_tagged_rejected() -> None:
    assert wanted_write_back("rejected", None, None, "no_match") == WriteBack(None, ("rejected",))


def test_nothing_is_written_for_payments_in_progress_or_ignored() -> None:
    for status in ("received", "matched", "ignored"):
        assert wanted_write_back(status, None, None, None) is None


def test_notes_fit_moota_s_limit() -> None:
    wanted = wanted_write_back("paid", "MF-" + "X" * 300, "INV-1", None)
    assert wanted is not None and wanted.note is not None
    assert len(wanted.note) == MAX_NOTE


def test_tag_changes_touch_only_mootaflow_s_own_tags() -> None:
    changes = tag_changes(["flagged", "underpaid"], ["paid", "MF-1"])
    assert changes.attach == ("paid", "MF-1")
    assert changes.detach == ("flagged", "underpaid")
    same = tag_changes(["paid", "MF-1"], ["paid", "MF-1"])
    assert same.attach == () and same.detach == ()
