"""Finance demo data: receipts for the demo's invoices (the CRM demo's confirmed orders, if
any were confirmed): for the first, a bank transfer paying half and a cheque due in a few weeks
paying a quarter; a cheque already past its due date for a second; cash for a third."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from core.audit import acting_as
from core.db import db
from core.jalali import format_date, today_tehran
from core.validation import ValidationError
from plugins.finance.models import Invoice
from plugins.finance.services import receipts

log = logging.getLogger(__name__)
BANKS = ("ملت", "ملی", "تجارت", "صادرات", "پاسارگاد")


def load(context: dict) -> None:
    # The CRM confirms its demo order once every plugin's demo data exists (`context["after"]`,
    # run in order): the receipts come after that, so they find its invoice.
    context.setdefault("after", []).append(lambda: _receipts(context))


def _receipts(context: dict) -> None:
    users = context["users"]
    clerk = users.get("mali") or next(iter(users.values()))
    rng = context["rng"]
    db.session.commit()  # the services below commit on their own
    invoices = db.session.scalars(select(Invoice).where(Invoice.kind == "invoice", Invoice.credited.is_(False),
                                                        Invoice.paid < Invoice.total).order_by(Invoice.id)).all()
    today = today_tehran()
    plans = []

    def cheque(invoice, amount, due_in, received_ago=0):
        return dict(party_id=invoice.party_id, method="cheque", amount=amount,
                    cheque_number=str(rng.randint(100000, 999999)), cheque_bank=rng.choice(BANKS),
                    cheque_due=format_date(today + dt.timedelta(days=due_in), "en"),
                    received_on=today - dt.timedelta(days=received_ago), allocations={invoice.id: amount})

    for i, invoice in enumerate(invoices[:3]):
        open_amount = invoice.open_amount
        if i == 0:
            # Half by bank transfer, a quarter by a cheque due in a few weeks; a quarter still open.
            half = open_amount // 2 // 1_000_000 * 1_000_000 or open_amount
            quarter = (open_amount - half) // 2 // 1_000_000 * 1_000_000
            plans.append(dict(party_id=invoice.party_id, method="transfer", amount=half,
                              reference=str(rng.randint(10**9, 10**10 - 1)), allocations={invoice.id: half},
                              received_on=today - dt.timedelta(days=3)))
            if quarter:
                plans.append(cheque(invoice, quarter, due_in=25, received_ago=1))
        elif i == 1:
            plans.append(cheque(invoice, open_amount, due_in=-4, received_ago=30))  # past its due date
        else:
            plans.append(dict(party_id=invoice.party_id, method="cash", amount=open_amount,
                              allocations={invoice.id: open_amount}, received_on=today))
    with acting_as(clerk.id):
        for plan in plans:
            try:
                receipts.create(plan, clerk)
            except ValidationError as exc:
                db.session.rollback()
                log.warning("demo finance: a receipt was refused: %s", exc)
