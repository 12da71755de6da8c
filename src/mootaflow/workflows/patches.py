"""Patch ids of PaymentWorkflow: where new code takes another path than the code
that runs already started (see the README, "Changing PaymentWorkflow safely").

A patch stays while any run that started before it may still be open or replayed.
PaymentWorkflow runs are bounded (a flagged payment waits at most
MOOTAFLOW_APPROVAL_TIMEOUT_HOURS, then its notifications up to 3 days), so a
patch can be retired, in two deploys, a week or so after its introduction: first
`workflow.deprecate_patch(id)` with only the new path, once `mootaflow replay`
finds no open run without the patch; then remove the call once no open run has
the deprecation marker either.
"""

# Issue 12 (introduced 2026-11): a run opens its payment with `open_payment`
# instead of `record_mutation` (finished is finished: no re-match of a payment
# past matching); decisions received before the wait are held, not refused;
# reminders run beside the wait; a payment that ends unresolved stays decidable.
# Decided once per run, when the workflow object is created.
DECISIONS_V2 = "decisions-v2"

# Issue 12, for runs started before DECISIONS_V2: a decision received while a
# reminder was still being sent past the deadline is applied at the deadline
# instead of being dropped and the payment marked unresolved.
HELD_DECISION_AT_DEADLINE = "held-decision-at-deadline"

# Issue 14 (introduced 2026-11): the outcome is written back to Moota (a note and
# tags) beside the notifications once paid, while flagged, and once rejected.
MOOTA_WRITE_BACK = "moota-write-back"

# Issue 17 (introduced 2026-11): an approval allocates the transfer (`allocate`)
# to one or more orders with the difference finance chose (written off, left
# due, kept or refunded) instead of booking one order in full (`mark_paid`); the
# invoice step runs only when an order was paid in full.
ALLOCATIONS = "allocations"

# Issue 16 (introduced 2026-11): steps whose policy is `local_first`
# (retries.py) make their first attempt as a local activity, in the worker, and
# only then run as regular activities: the same steps in the same order, fewer
# round trips through the server. Decided at the run's first such step. A
# decision received by Update first ends the workflow task (a 1 ms timer), so its
# acceptance is not held back by the steps that apply it.
LOCAL_FIRST = "local-first"

# Issue 16 (found 2026-11, when faster steps made it likely): a decision taken
# while the first finance notice was still being sent cancelled the notice, but
# the reminder loop took the cancellation for a failed send and slept until the
# next reminder (24 h), then reminded finance of a payment already decided; the
# run ended only then. Now the cancellation ends the reminders.
REMINDERS_CALLED_OFF = "reminders-called-off"

# Issue 16 (introduced 2026-11): a run opens, matches and books its payment in one
# step (`settle_payment`, one transaction) instead of three, and each change of
# status updates its search attributes (status, order, flag reason) in one upsert.
# Decided once per run, before its first step.
SETTLE_AT_ONCE = "settle-at-once"

# Issue 16 (introduced 2026-11): a run started without a merchant callback configured
# (PaymentInput.merchant_callback false) does not ask the worker for one. A patch
# although the input decides: a worker from before it ignores the field and asks, and
# a run it began must replay so on the worker that takes it over. Checked only in such
# runs, so a run with a callback records no marker.
QUIET_MERCHANT = "quiet-merchant"

# Issue 16 (introduced 2026-11): a run that takes this patch takes the path of every
# patch in IN_BASELINE_2026_11 without asking for it. Each `workflow.patched` call records a
# marker and, from the SDK, an upsert of the TemporalChangeVersion search attribute
# (a visibility write on the server): four of each for a payment paid on arrival,
# five for one finance approved. Now one of each. Decided once per run, when the
# workflow object is created.
BASELINE_2026_11 = "baseline-2026-11"

# The patches a BASELINE_2026_11 run takes without a marker. A patch added later is
# never in here: runs that started before it must still replay without it.
IN_BASELINE_2026_11 = frozenset(
    {
        DECISIONS_V2,
        MOOTA_WRITE_BACK,
        ALLOCATIONS,
        LOCAL_FIRST,
        REMINDERS_CALLED_OFF,
        SETTLE_AT_ONCE,
        QUIET_MERCHANT,
    }
)
