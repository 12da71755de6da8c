"""Reconciliation's activities: Moota's accounts, then per account a pass of one
activity per page (see `activities.reconcile_pass` for the steps themselves).

Moota's errors become Temporal failures here: a refused token is non-retryable
and names the setting to fix (one failed run, no retry loop); 429 and 5xx are
retryable, after Moota's Retry-After when it sent one (`workflows.retries.MOOTA_API`).
"""

import logging
from datetime import timedelta

from prometheus_client import Counter
from temporalio import activity
from temporalio.exceptions import ApplicationError

from mootaflow.activities import contracts
from mootaflow.activities.contracts import PageInput, PageResult, PassInput, PassStart, PassSummary
from mootaflow.activities.moota_errors import MOOTA_SETTING, moota_failure
from mootaflow.activities.reconcile_pass import PassSteps, StartPayment, UnknownAccount
from mootaflow.domain.reconcile import BankRef
from mootaflow.domain.settings import Settings
from mootaflow.mootaapi import MootaClient, MootaError
from mootaflow.store.db import Sessions
from mootaflow.store.reconcile import PassPlan

log = logging.getLogger("mootaflow.activities")

# The webhook-loss alarm: each of these is a transfer whose webhook never came
# (or had not come by the time the pass listed it). Scraped from the worker.
RECONCILED = Counter(
    "mootaflow_reconciled_mutations_total",
    "Mutations found by reconciliation before any webhook brought them",
    ["account"],
)


class ReconcileActivities:
    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        moota: MootaClient | None,
        start: StartPayment,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._moota = moota
        self._start = start

    def _steps(self) -> PassSteps:
        if self._moota is None:
            raise ApplicationError(
                f"{MOOTA_SETTING} is not set: reconciliation needs Moota's API",
                type="MootaNotConfigured",
                non_retryable=True,
            )
        return PassSteps(self._sessions, self._moota)

    @activity.defn(name=contracts.LIST_MOOTA_BANKS.name)
    async def list_moota_banks(self, accounts: list[str]) -> list[BankRef]:
        """The accounts to reconcile: those named (number or bank id), else every active one."""
        try:
            return await self._steps().banks(accounts)
        except UnknownAccount as exc:
            raise ApplicationError(str(exc), type="UnknownAccount", non_retryable=True) from None
        except MootaError as exc:
            raise moota_failure(exc) from None

    @activity.defn(name=contracts.BEGIN_RECONCILE_PASS.name)
    async def begin_reconcile_pass(self, request: PassInput) -> PassStart:
        plan = PassPlan(
            trigger=request.trigger,
            overlap_days=self._settings.reconcile_overlap_days,
            per_page=request.per_page,
            min_age=timedelta(seconds=request.min_age_seconds),
        )
        run, resumed = await self._steps().begin(request.bank, plan)
        assert run.id is not None
        log.info(
            "reconcile pass resumed" if resumed else "reconcile pass begun",
            extra={
                "pass_id": run.id,
                "bank_id": run.bank_id,
                "account": run.account_number,
                "first_day": run.first_day.isoformat(),
                "next_page": run.next_page,
            },
        )
        return PassStart(run.id, run.next_page, run.first_day, resumed)

    @activity.defn(name=contracts.RECONCILE_PAGE.name)
    async def reconcile_page(self, request: PageInput) -> PageResult:
        """List one page, put its unknown mutations through the inbox, start their
        payments. Safe to retry: a saved page is neither listed nor counted again."""
        steps = self._steps()
        try:
            saved = await steps.page(request.pass_id, request.page)
        except MootaError as exc:
            raise moota_failure(exc) from None
        if saved.new_ids:
            # Counted once: a retry finds the page saved and counts nothing.
            summary = await steps.summary(request.pass_id)
            RECONCILED.labels(summary.account_number).inc(len(saved.new_ids))
            log.warning(
                "mutations found by reconciliation, not by webhook",
                extra={
                    "pass_id": request.pass_id,
                    "account": summary.account_number,
                    "mutation_ids": list(saved.new_ids),
                },
            )
        started = await steps.start_pending(request.pass_id, self._start)
        return PageResult(
            next_page=saved.next_page,
            listed=saved.listed,
            new=len(saved.new_ids),
            known=saved.known,
            quarantined=saved.quarantined,
            deferred=saved.deferred,
            started=started,
            already_saved=saved.already_saved,
        )

    @activity.defn(name=contracts.FINISH_RECONCILE_PASS.name)
    async def finish_reconcile_pass(self, pass_id: int) -> PassSummary:
        steps = self._steps()
        # Rows of the pass whose start failed on an earlier page get another try.
        await steps.start_pending(pass_id, self._start)
        summary = await steps.finish(pass_id)
        log.info("reconcile pass finished", extra=dict(vars(summary)))
        return summary
