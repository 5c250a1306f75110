"""Two reps press «انتساب این مشتری به من» at the same moment: exactly one gets the customer,
on real concurrent connections (threads with their own sessions) on SQLite and PostgreSQL."""
import threading

from sqlalchemy import func, select

from core.db import db
from core.models.org import User
from core.validation import ValidationError
from plugins.crm.models import Negotiation, PointEntry
from plugins.crm.services import negotiations as neg


def _race(app, customer_id, user_ids, rounds=1):
    barrier = threading.Barrier(len(user_ids))
    outcomes = {}

    def attempt(user_id):
        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                outcomes[user_id] = ("won", neg.claim(customer_id, user).id)
            except ValidationError as exc:
                db.session.rollback()
                outcomes[user_id] = ("refused", str(exc))
            except Exception as exc:  # noqa: BLE001 - reported by the assertions
                db.session.rollback()
                outcomes[user_id] = ("error", repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_two_simultaneous_claims_exactly_one_wins(app, db, org, register, make_user):
    reps = [org.b] + [make_user(f"racer{i}", role="sales", office=org.tehran) for i in range(3)]
    rep_ids = [r.id for r in reps]
    for round_ in range(3):  # several rounds: a race that passes once by luck should not pass three times
        n = register(org.a)
        neg.change_status(n.id, "suspended", org.a)
        customer_id = n.customer_id
        db.session.rollback()  # end this session's snapshot so it sees what the racers commit
        outcomes = _race(app, customer_id, rep_ids)
        db.session.rollback()
        assert len(outcomes) == len(rep_ids) and not [o for o in outcomes.values() if o[0] == "error"], outcomes
        winners = [uid for uid, (kind, _) in outcomes.items() if kind == "won"]
        assert len(winners) == 1, outcomes
        refused = [msg for kind, msg in outcomes.values() if kind == "refused"]
        assert all("در حال مذاکره" in msg for msg in refused), refused
        open_ones = db.session.scalar(select(func.count(Negotiation.id)).where(
            Negotiation.customer_id == customer_id, Negotiation.status == "negotiating"))
        assert open_ones == 1, (round_, outcomes)
        # The suspended penalty was charged once, to A.
        assert db.session.scalar(select(func.count(PointEntry.id)).where(
            PointEntry.negotiation_id == n.id, PointEntry.event == "suspended")) == 1
        db.session.rollback()
