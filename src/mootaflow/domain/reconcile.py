"""Reconciliation's pure rules: which bank days a pass lists, which mutations it
leaves to their webhook, how often a customer may make us ask Moota to crawl.

A pass lists an account's mutations through Moota's API and puts the unknown ones
through the webhook's inbox, so a lost webhook delays a payment instead of losing it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from mootaflow.domain.moota import JAKARTA, Mutation

Source = Literal["webhook", "reconcile"]
WEBHOOK: Source = "webhook"
RECONCILE: Source = "reconcile"

# schedule: the periodic pass; check: a customer's "I have paid"; hand: the CLI.
Trigger = Literal["schedule", "check", "hand"]

# Moota's own WordPress plugin lets a shop ask for a crawl once per 5 minutes per
# account; Moota charges points for each refresh.
REFRESH_INTERVAL = timedelta(minutes=5)


def first_day(cursor: datetime | None, now: datetime, overlap_days: int) -> date:
    """The first bank day (Jakarta) a pass lists.

    `cursor` is when the last complete pass began: every mutation Moota had seen by
    then was listed. A mutation Moota sees later can still carry an earlier bank
    date: BCA and other banks report the day only, Moota crawls an account every
    ~15 minutes (a transfer at 23:55 is seen after midnight, dated the day before),
    and an account whose bank login failed for a while is crawled late, days
    included. So a pass starts `overlap_days` (at least one) whole days before the
    cursor's day. Without a cursor (the first pass of an account) it starts that
    many days before today; older history is `mootaflow reconcile --since`'s job.
    """
    if overlap_days < 1:
        raise ValueError("the overlap must be at least one day")
    anchor = (cursor or now).astimezone(JAKARTA).date()
    return anchor - timedelta(days=overlap_days)


def left_to_webhook(mutation: Mutation, now: datetime, grace: timedelta) -> bool:
    """True for a mutation Moota saw less than `grace` ago.

    Moota pushes a mutation's webhook seconds after its crawl: a scheduled pass
    that lists it in that moment would count it as found by reconciliation, a false
    webhook-loss alarm. The next pass (its range overlaps this one) takes it if the
    webhook really is lost. Mutations without Moota's `created_at` are never left.
    """
    if grace <= timedelta() or mutation.seen_at is None:
        return False
    return now - mutation.seen_at < grace


def next_cursor(current: datetime | None, pass_started_at: datetime) -> datetime:
    """The cursor after a complete pass: when it began (never moving backwards)."""
    return pass_started_at if current is None else max(current, pass_started_at)


def refresh_wait(last_refresh: datetime | None, now: datetime) -> timedelta | None:
    """How long until the account may be refreshed again; None if it may now."""
    if last_refresh is None:
        return None
    wait = last_refresh + REFRESH_INTERVAL - now
    return wait if wait > timedelta() else None


@dataclass(frozen=True)
class BankRef:
    """A Moota bank account as reconciliation needs it."""

    bank_id: str
    account_number: str
    label: str = ""
    is_active: bool = True

    def named_by(self, wanted: str) -> bool:
        """`wanted` is this account's number or its Moota bank id."""
        return wanted.strip() in (self.account_number, self.bank_id)
