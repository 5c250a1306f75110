"""What a rep is shown when a customer looks like a duplicate, and the audit of it.

`describe(matches, viewer)` turns matches into what the form and the API show: owner, office,
status, why it matched, contacts masked (`0912***4567`) — and for a `won` customer of another
rep no contact detail at all. `record(...)` stores each warning shown and its dismissal.
"""
from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.jalali import utcnow
from core.phones import mask
from plugins.crm.models import STATUS_LABELS, Customer, DuplicateWarning, DuplicateWarningMatch, Negotiation
from plugins.crm.services.visibility import can_act_on


def describe(matches, viewer) -> list[dict]:
    if not matches:
        return []
    customers = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_([m.customer_id for m in matches])))}
    out = []
    for match in matches:
        customer = customers[match.customer_id]
        current = db.session.get(Negotiation, customer.current_negotiation_id) if customer.current_negotiation_id else None
        status = current.effective_status if current else None
        won_by_other = status == "won" and not can_act_on(viewer, current)
        out.append({
            "customer_id": customer.id,
            "name": customer.party.name,
            "organisation": "" if won_by_other else customer.party.organisation,
            "city": customer.party.city,
            "phones": [] if won_by_other else [mask(p.e164) for p in customer.party.phones],
            "owner": current.owner.full_name if current else "",
            "office": current.office.name if current and current.office else "",
            "status": status,
            "status_label": STATUS_LABELS.get(status, ""),
            "in_pool": bool(current and current.in_pool),
            "won_by_other": won_by_other,
            "score": match.score,
            "reasons": list(match.reasons),
            "fields": list(match.fields),
        })
    return out


def record(viewer, candidate: dict, shown: list[dict]) -> DuplicateWarning:
    """Store a warning as it was shown (in the caller's transaction)."""
    warning = DuplicateWarning(user_id=viewer.id, candidate_name=str(candidate.get("name") or "")[:200],
                               candidate=_safe_candidate(candidate), matches=shown)
    db.session.add(warning)
    db.session.flush()
    for row in shown:
        db.session.add(DuplicateWarningMatch(warning_id=warning.id, customer_id=row["customer_id"], score=row["score"]))
    return warning


def dismiss(warning_id: int | None, viewer, customer_id: int) -> bool:
    """The rep confirmed "not a duplicate" and registered `customer_id`. Only the rep's own,
    not yet dismissed warning counts; returns whether it did."""
    warning = db.session.get(DuplicateWarning, warning_id) if warning_id else None
    if warning is None or warning.user_id != viewer.id or warning.dismissed_at is not None:
        return False
    warning.dismissed_at = utcnow()
    warning.customer_id = customer_id
    return True


def _safe_candidate(candidate: dict) -> dict:
    keep = ("kind", "name", "organisation", "national_id", "city", "email")
    out = {k: str(candidate.get(k) or "")[:300] for k in keep}
    out["phones"] = [str(p.get("number") or "")[:40] for p in (candidate.get("phones") or []) if isinstance(p, dict)][:10]
    return out
