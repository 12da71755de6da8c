"""ReconcileWorkflow: catch what webhooks missed, from Moota's API, account by account.

Per account: begin a pass (or resume the unfinished one), one activity per page
until Moota's listing ends, then finish the pass (which moves the account's
cursor). Unknown mutations go through the webhook's inbox to the same
PaymentWorkflow id, inside the page activity. Progress lives in the database, so
a run that dies anywhere is taken up by the next one at the page saved last.

Run every MOOTAFLOW_RECONCILE_INTERVAL_MINUTES by the `mootaflow-reconcile`
schedule (`temporal/reconcile.py`), once for an account by a customer's
"I have paid" check, and by hand with `mootaflow reconcile` (without Temporal).
"""

from dataclasses import dataclass, field, replace
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    import mootaflow.workflows.retries as retries
    from mootaflow.activities import contracts as steps
    from mootaflow.activities.contracts import (
        PageInput,
        PassInput,
        PassStart,
        PassSummary,
    )
    from mootaflow.domain.reconcile import BankRef, Trigger


# Moota lists 15 a page unless asked; bigger pages mean fewer calls against its
# rate limit (should Moota cap the size, next_page_url still leads through all).
DEFAULT_PER_PAGE = 100
# A scheduled pass leaves mutations Moota saw this recently to their webhook
# (domain.reconcile.left_to_webhook): no false webhook-loss alarms.
WEBHOOK_GRACE_SECONDS = 120


@dataclass(frozen=True)
class ReconcileInput:
    # Account numbers or Moota bank ids; empty: every active account.
    accounts: list[str] = field(default_factory=list)
    trigger: Trigger = "schedule"
    per_page: int = DEFAULT_PER_PAGE
    min_age_seconds: int = WEBHOOK_GRACE_SECONDS
    # Run every pass again this long after the first round (0: no second round).
    # A check asks Moota to crawl, and Moota's crawl finishes a while later.
    follow_up_seconds: int = 0
    # Carried over continue-as-new: accounts still to do, the pass under way, results.
    remaining: list[BankRef] | None = None
    current: PassStart | None = None
    done: list[PassSummary] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReconcileResult:
    passes: list[PassSummary]
    failures: list[str]

    @property
    def new(self) -> int:
        """Mutations found by reconciliation before any webhook brought them."""
        return sum(p.new for p in self.passes)


@workflow.defn
class ReconcileWorkflow:
    @workflow.run
    async def run(self, request: ReconcileInput) -> ReconcileResult:
        banks = request.remaining
        if banks is None:
            try:
                banks = await retries.execute(
                    steps.LIST_MOOTA_BANKS, request.accounts, retries.MOOTA_API
                )
            except ActivityError as error:
                # The failure an operator sees names the cause (and the setting).
                raise ApplicationError(
                    _cause(error), type=_failure_type(error), non_retryable=True
                ) from None
        done, failures = list(request.done), list(request.failures)
        current = request.current
        for index, bank in enumerate(banks):
            try:
                summary = await self._pass(request, banks[index:], current, done, failures)
            except ActivityError as error:
                if _failure_type(error) in ("MootaAuthError", "MootaNotConfigured"):
                    # The token is wrong for every account: fail now, visibly, once.
                    raise ApplicationError(
                        _cause(error), type=_failure_type(error), non_retryable=True
                    ) from None
                failures.append(f"account {bank.account_number} ({bank.bank_id}): {_cause(error)}")
                workflow.logger.warning("reconcile pass failed: %s", failures[-1])
            else:
                done.append(summary)
            current = None
        if request.follow_up_seconds:
            await workflow.sleep(timedelta(seconds=request.follow_up_seconds))
            workflow.continue_as_new(
                replace(
                    request,
                    follow_up_seconds=0,
                    remaining=banks,
                    current=None,
                    done=done,
                    failures=failures,
                )
            )
        if failures:
            raise ApplicationError(
                "reconciliation incomplete: " + "; ".join(failures),
                ReconcileResult(done, failures),
                type="ReconcileIncomplete",
                non_retryable=True,
            )
        return ReconcileResult(done, failures)

    async def _pass(
        self,
        request: ReconcileInput,
        banks: list[BankRef],
        current: PassStart | None,
        done: list[PassSummary],
        failures: list[str],
    ) -> PassSummary:
        bank = banks[0]
        if current is None:
            current = await retries.execute(
                steps.BEGIN_RECONCILE_PASS,
                PassInput(bank, request.trigger, request.per_page, request.min_age_seconds),
                retries.RECONCILE_DATABASE,
            )
        page = current.next_page
        while page is not None:
            if workflow.info().is_continue_as_new_suggested():
                # A long listing: a fresh history, same pass, same page.
                workflow.continue_as_new(
                    replace(
                        request,
                        remaining=banks,
                        current=replace(current, next_page=page),
                        done=done,
                        failures=failures,
                    )
                )
            result = await retries.execute(
                steps.RECONCILE_PAGE, PageInput(current.pass_id, page), retries.MOOTA_API
            )
            page = result.next_page
        # It may also start workflows an earlier page could not.
        return await retries.execute(
            steps.FINISH_RECONCILE_PASS, current.pass_id, retries.RECONCILE_FINISH
        )


def _failure_type(error: ActivityError) -> str | None:
    cause = error.cause
    return cause.type if isinstance(cause, ApplicationError) else None


def _cause(error: ActivityError) -> str:
    return error.cause.message if isinstance(error.cause, FailureError) else str(error)
