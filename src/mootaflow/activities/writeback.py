"""Writing the outcome back to Moota: a note naming the invoice, and tags.

What to write comes from the payment's state in the database (domain.writeback),
so the activity takes only the mutation id and one call fits every point of the
payment (booked, flagged, decided). Each call to Moota is recorded as soon as it
succeeded (`moota_write_back`), so a retried attempt repeats none of them: one
note and one set of tags per payment however often Temporal retries.

Off without a Moota token or with MOOTAFLOW_MOOTA_WRITE_BACK=false: it then
returns at once, so the workflow can call it unconditionally.
"""

import logging
from dataclasses import replace
from datetime import UTC, datetime

from temporalio import activity
from temporalio.exceptions import ApplicationError

from mootaflow.activities import contracts
from mootaflow.activities.contracts import WriteBackInput, WriteBackResult
from mootaflow.activities.moota_errors import moota_failure
from mootaflow.domain.settings import Settings
from mootaflow.domain.writeback import WriteBack, tag_changes, wanted_write_back
from mootaflow.mootaapi import MootaClient, MootaError, MootaNotFound
from mootaflow.store import invoices, payments
from mootaflow.store import writeback as store
from mootaflow.store.db import Sessions, reading
from mootaflow.store.writeback import Written

log = logging.getLogger("mootaflow.activities")


class WriteBackActivities:
    def __init__(self, sessions: Sessions, settings: Settings, moota: MootaClient | None) -> None:
        self._sessions = sessions
        self._moota = moota if settings.write_back_enabled else None

    @activity.defn(name=contracts.WRITE_BACK_TO_MOOTA.name)
    async def write_back_to_moota(self, request: WriteBackInput) -> WriteBackResult:
        """Bring the mutation's note and mootaflow's tags on Moota to the payment's state."""
        if self._moota is None:
            return WriteBackResult("off")
        mutation_id = request.mutation_id
        wanted = await self._wanted(mutation_id)
        if wanted is None:
            return WriteBackResult("nothing_to_write")
        async with reading(self._sessions) as session:
            written = await store.get_written(session, mutation_id)
        if written.status == "skipped":
            return WriteBackResult("skipped", detail=written.detail)
        note_due = wanted.note is not None and wanted.note != written.note
        changes = tag_changes(written.tags, wanted.tags)
        if not note_due and not changes.attach and not changes.detach:
            return WriteBackResult("already_written", written.note, written.tags)
        try:
            if note_due:
                assert wanted.note is not None
                await self._moota.set_note(mutation_id, wanted.note)
                written = await self._save(mutation_id, replace(written, note=wanted.note))
            if changes.attach:
                await self._moota.attach_tags(mutation_id, changes.attach)
                tags = written.tags + list(changes.attach)
                written = await self._save(mutation_id, replace(written, tags=tags))
            if changes.detach:
                await self._moota.detach_tags(mutation_id, changes.detach)
                tags = [t for t in written.tags if t not in changes.detach]
                written = await self._save(mutation_id, replace(written, tags=tags))
        except MootaNotFound:
            # A simulated delivery or another Moota account's mutation: nothing to tag,
            # and trying again will not change that.
            detail = "Moota does not know this mutation"
            await self._save(mutation_id, replace(written, status="skipped", detail=detail))
            _log("write-back skipped", mutation_id, detail=detail)
            return WriteBackResult("skipped", detail=detail)
        except MootaError as exc:
            failure = moota_failure(exc)
            if failure.non_retryable:
                await self._save(
                    mutation_id, replace(written, status="failed", detail=failure.message)
                )
            raise failure from None
        written = await self._save(mutation_id, replace(written, status="written", detail=""))
        _log("written back to Moota", mutation_id, note=written.note, tags=written.tags)
        return WriteBackResult("written", written.note, written.tags)

    async def _wanted(self, mutation_id: str) -> WriteBack | None:
        async with reading(self._sessions) as session:
            payment = await payments.get_payment(session, mutation_id)
            if payment is None:
                raise ApplicationError(
                    f"no payment for mutation {mutation_id}",
                    type="UnknownPayment",
                    non_retryable=True,
                )
            invoice = await invoices.invoice_for_mutation(session, mutation_id)
        return wanted_write_back(
            payment.status,
            payment.order_ref,
            invoice.number if invoice is not None else None,
            payment.flag_reason,
        )

    async def _save(self, mutation_id: str, written: Written) -> Written:
        async with self._sessions.begin() as session:
            await store.save_written(session, mutation_id, written, datetime.now(UTC))
        return written


def _log(message: str, mutation_id: str, **fields: object) -> None:
    info = activity.info()
    log.info(message, extra={"mutation_id": mutation_id, "workflow_id": info.workflow_id, **fields})
