"""CRM fixtures: a small organisation and a helper to register customers through the service."""
import itertools

import pytest

from core.models.org import Office
from plugins.crm.services import customers

_phones = itertools.count(1000000)


@pytest.fixture
def org(db, make_user):
    """Two offices; in Tehran a manager above rep A, rep B, an inspector; in Isfahan rep C."""
    tehran = Office(name="دفتر تهران", city="تهران", area_code="21")
    isfahan = Office(name="دفتر اصفهان", city="اصفهان", area_code="31")
    db.session.add_all([tehran, isfahan])
    db.session.commit()
    boss = make_user("boss", role="manager", office=tehran)
    manager = make_user("manager", role="manager", office=tehran, manager=boss)
    a = make_user("rep_a", role="sales", office=tehran, manager=manager, first_name="علی", last_name="احمدی")
    b = make_user("rep_b", role="sales", office=tehran, first_name="بهرام", last_name="بهرامی")
    c = make_user("rep_c", role="sales", office=isfahan, first_name="چنگیز", last_name="چمنی")
    inspector = make_user("inspector", role="inspector", office=tehran)
    admin = make_user("admin", role="administrator", office=tehran, superuser=True)
    class Org:  # noqa: D401 - a plain namespace
        pass
    o = Org()
    o.tehran, o.isfahan, o.boss, o.manager, o.a, o.b, o.c, o.inspector, o.admin = (
        tehran, isfahan, boss, manager, a, b, c, inspector, admin)
    return o


@pytest.fixture
def register(db):
    """`register(user, name=…, **fields)` → the opened negotiation (no duplicate check)."""
    def do(user, name=None, confirmed=True, **fields):
        n = next(_phones)
        data = {"kind": "person", "name": name or f"مشتری {n}", "city": "تهران",
                "phones": [{"number": f"0912{n:07d}", "kind": "mobile"}]}
        data.update(fields)
        return customers.register(data, user, confirmed_not_duplicate=confirmed)
    return do
