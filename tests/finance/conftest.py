"""Finance fixtures: an office, a rep, a finance clerk, products, and confirmed orders
(inventory disabled: these tests are about money); clients logged in for the screens (`web`)
and the JSON API (`api`)."""
import pytest

from core import auth
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


@pytest.fixture
def web(books):
    """`web(user)` → a test client logged in as `user`."""
    def make(user):
        client = books.app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client
    return make


@pytest.fixture
def api(books):
    """`api(user, method, path, **kwargs)` → the JSON API's answer, with a token of `user`."""
    tokens = {}
    client = books.app.test_client()

    def call(user, method, path, **kwargs):
        if user.id not in tokens:
            tokens[user.id] = auth.create_token(user, "test")[1]
        return client.open(f"/api/v1/finance{path}", method=method,
                           headers={"Authorization": f"Bearer {tokens[user.id]}"}, **kwargs)
    return call
