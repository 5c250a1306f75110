"""Inventory fixtures: two offices with a warehouse each, stock, and a CRM order helper."""
import pytest

from core.models.org import Office
from core.models.products import Product
from plugins.inventory.models import Warehouse


@pytest.fixture
def stockroom(db, make_user):
    class Room:
        pass
    r = Room()
    r.tehran = Office(name="تهران", city="تهران", area_code="21")
    r.isfahan = Office(name="اصفهان", city="اصفهان", area_code="31")
    db.session.add_all([r.tehran, r.isfahan])
    db.session.flush()
    r.w_tehran = Warehouse(name="انبار تهران", code="W1", office_id=r.tehran.id)
    r.w_isfahan = Warehouse(name="انبار اصفهان", code="W2", office_id=r.isfahan.id)
    r.reader = Product(code="K1", name="کارت‌خوان", list_price=48_000_000, cost_price=35_000_000, search_key="k1")
    r.paper = Product(code="R1", name="رول کاغذ", list_price=6_200_000, cost_price=4_100_000, search_key="r1")
    db.session.add_all([r.w_tehran, r.w_isfahan, r.reader, r.paper])
    db.session.commit()
    r.keeper = make_user("anbar", role="warehouse", office=r.tehran)
    r.rep = make_user("rep", role="sales", office=r.tehran)
    return r


@pytest.fixture
def order_for(db):
    """`order_for(rep, [(product, qty), ...], allow_partial=False)` → a draft CRM order."""
    from plugins.crm.services import customers, orders
    counter = iter(range(1000, 9999))

    def make(rep, lines, allow_partial=False):
        n = customers.register({"kind": "person", "name": f"مشتری {next(counter)}",
                                "phones": [{"number": f"0912{next(counter):07d}"}]}, rep, confirmed_not_duplicate=True)
        order = orders.direct(n.customer_id, {"lines": [{"product_id": p.id, "quantity": q} for p, q in lines],
                                              "allow_partial": allow_partial}, rep)
        return order
    return make
