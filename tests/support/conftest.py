"""Support fixtures: two offices, support agents in each, a sales rep, an administrator, two
customers (core parties), a product and a category; `open_ticket(...)` opens a ticket."""
import io

import pytest
from werkzeug.datastructures import FileStorage

from core.models.org import Office
from core.models.products import Product
from core.services.parties import save_party


class Desk:
    pass


@pytest.fixture
def desk(db, make_user):
    from plugins.support.models import TicketCategory
    d = Desk()
    d.db = db
    d.tehran = Office(name="دفتر مرکزی تهران", city="تهران", area_code="21")
    d.isfahan = Office(name="شعبهٔ اصفهان", city="اصفهان", area_code="31")
    db.session.add_all([d.tehran, d.isfahan])
    db.session.flush()
    d.product = Product(code="P-2002", name="کارت‌خوان رومیزی", list_price=48_000_000, cost_price=35_000_000,
                        search_key="p-2002 کارت خوان رومیزی")
    d.old_product = Product(code="P-0001", name="مدل قدیمی", list_price=1, cost_price=1, active=False, search_key="p-0001")
    d.category = TicketCategory(name="خرابی و تعمیر", position=10)
    d.retired = TicketCategory(name="قدیمی", position=20, active=False)
    db.session.add_all([d.product, d.old_product, d.category, d.retired])
    d.party = save_party({"kind": "organisation", "name": "شرکت صنایع غذایی مهرگان", "city": "تهران",
                          "office_id": d.tehran.id,
                          "phones": [{"number": "0912 345 6789", "kind": "mobile"}, {"number": "88776655", "kind": "phone"}]},
                         office_area_code="21", commit=False)
    d.other = save_party({"kind": "person", "name": "علی كريمي", "city": "اصفهان", "office_id": d.isfahan.id,
                          "phones": [{"number": "09131112233", "kind": "mobile"}]}, commit=False)
    db.session.commit()
    d.agent = make_user("poshtiban", role="support", office=d.tehran, first_name="امیر", last_name="یزدانی")
    d.agent2 = make_user("agent2", role="support", office=d.tehran, first_name="نرگس", last_name="طاهری")
    d.far_agent = make_user("esfagent", role="support", office=d.isfahan, first_name="کامران", last_name="رحیمی")
    d.rep = make_user("rep", role="sales", office=d.tehran, first_name="سارا", last_name="محمدی")
    d.keeper = make_user("anbar", role="warehouse", office=d.tehran)
    d.inspector = make_user("inspector", role="inspector", office=d.tehran)
    d.admin = make_user("root", role="administrator", office=d.tehran, superuser=True)
    return d


@pytest.fixture
def open_ticket(desk):
    """`open_ticket(actor=None, **data)` → a ticket for `desk.party`, opened by the agent."""
    from plugins.support.services import tickets

    def make(actor=None, **data):
        base = {"party_id": desk.party.id, "title": "کارت‌خوان روشن نمی‌شود", "channel": "phone",
                "priority": "normal", "description": "از دیروز"}
        storages = data.pop("storages", None) or ()
        base.update(data)
        return tickets.create(base, actor or desk.agent, storages)
    return make


def upload(name: str, data: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
