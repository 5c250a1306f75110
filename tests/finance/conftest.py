"""Finance fixtures: an office, a rep, a finance clerk, products, and confirmed orders
(inventory disabled: these tests are about money)."""
import pytest

from core.models.org import Office
from core.models.products import Product

ALONE = {"DISABLED_PLUGINS": ("inventory",)}


@pytest.fixture
def books(make_app, make_user):
    app = make_app(ALONE)
    ctx = app.app_context()
    ctx.push()
    from core.db import db

    class Books:
        pass
    b = Books()
    b.app, b.db = app, db
    b.office = Office(name="تهران", city="تهران", area_code="21")
    b.product = Product(code="K1", name="کارت‌خوان", list_price=10_000_000, cost_price=7_000_000, search_key="k1")
    db.session.add_all([b.office, b.product])
    db.session.commit()
    b.rep = make_user("rep", role="sales", office=b.office)
    b.rep.max_open_negotiations = 10_000
    b.clerk = make_user("mali", role="finance", office=b.office)
    b.admin = make_user("root", role="administrator", office=b.office, superuser=True)
    db.session.commit()
    yield b
    db.session.remove()
    ctx.pop()


@pytest.fixture
def confirmed_order(books):
    """`confirmed_order(quantity=1, party=None)` → (order, party_id): a confirmed CRM order."""
    from plugins.crm.models import Customer
    from plugins.crm.services import customers, orders
    counter = iter(range(100, 100_000))

    def make(quantity=1, customer_id=None, confirm=True):
        if customer_id is None:
            n = customers.register({"kind": "person", "name": f"مشتری {next(counter)}",
                                    "phones": [{"number": f"0912{next(counter):07d}"}]}, books.rep,
                                   confirmed_not_duplicate=True)
            customer_id = n.customer_id
        order = orders.direct(customer_id, {"lines": [{"product_id": books.product.id, "quantity": quantity}]}, books.rep)
        if confirm:
            order = orders.confirm(order.id, books.rep)
        return order, books.db.session.get(Customer, customer_id).party_id
    return make
