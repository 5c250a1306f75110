"""The proforma invoice (پیش‌فاکتور) as a PDF: A4, Vazirmatn embedded, the customer's Persian name,
the Jalali dates and the total found again in the text that `pdftotext` extracts (it may reorder
right-to-left words, so the comparison is per word and per digit string), page 1 rendered to PNG
with `pdftoppm`, no network access while rendering."""
import datetime as dt
import re
import shutil
import subprocess
import unicodedata

import pytest
from sqlalchemy import select

from core import settings
from core.jalali import format_date, today_tehran
from core.models.products import Product
from core.persian import to_ascii_digits, to_persian_digits
from plugins.crm.models.sales import Quote
from plugins.crm.services import proforma, quotes

OTHERS = ("inventory", "finance", "support", "dashboard")
NAME = "فروشگاه لوازم خانگی کوروش"

pytestmark = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
                                reason="poppler-utils (pdftotext, pdftoppm) is not installed")


@pytest.fixture
def app(make_app):
    app = make_app({"DISABLED_PLUGINS": OTHERS})
    with app.app_context():
        yield app


def normalise(text: str) -> str:
    """What pdftotext gives back, comparable: presentation forms folded (NFKC), direction marks
    and joiners dropped, every digit ASCII, thousands separators removed, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", "", text)
    text = to_ascii_digits(text).replace("٬", "").replace(",", "")
    return re.sub(r"\s+", " ", text)


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "proforma.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          timeout=60).stdout.decode("utf-8")


@pytest.fixture
def quote(db, org, register):
    card = Product(code="K1", name="کارت‌خوان رومیزی", unit="دستگاه", list_price=48_000_000, cost_price=1,
                   tax_class="standard", search_key="k1")
    roll = Product(code="R1", name="رول کاغذ حرارتی", unit="بسته", list_price=6_200_000, cost_price=1,
                   tax_class="exempt", search_key="r1")
    db.session.add_all([card, roll])
    db.session.commit()
    settings.update({"core.company_name": "بازرگانی \"پیوند\" & شرکا"})
    n = register(org.a, name=NAME, kind="organisation",
                 addresses=[{"city": "تهران", "address": "خیابان ولیعصر، پلاک ۱۲"}])
    return quotes.save(n.id, {"lines": [{"product_id": card.id, "quantity": 3, "adhoc_percent": "2.5"},
                                        {"product_id": roll.id, "quantity": 10}],
                              "valid_until": today_tehran() + dt.timedelta(days=5),
                              "notes": "تحویل ۱۰ روز کاری پس از پیش‌پرداخت"}, org.a)


def test_the_proforma_pdf_carries_the_name_dates_and_total(db, org, quote, client, login_as, tmp_path):
    login_as(org.a)
    r = client.get(f"/crm/quotes/{quote.id}/proforma.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == f"attachment; filename=proforma-{quote.number}-v1.pdf"
    pdf = r.data
    assert pdf.startswith(b"%PDF")
    text = normalise(pdf_text(pdf, tmp_path))
    # The customer's name: each word (pdftotext may reorder right-to-left words).
    for word in NAME.split():
        assert word in text, word
    # The Jalali dates of issue and validity, and the quote's number.
    quote = db.session.get(Quote, quote.id)
    for day in (quote.created_at, quote.valid_until):
        jalali = format_date(day, "en")
        assert jalali in text or "/".join(reversed(jalali.split("/"))) in text, jalali
    # The total, the tax and every line's total, as digit strings (separators removed).
    numbers = set(re.findall(r"\d+", text))
    for amount in [quote.total, quote.tax, quote.subtotal] + [li.total for li in quote.lines]:
        assert str(amount) in numbers, amount
    # The adjustments with their reasons, the organisation's header, the total in words.
    assert "تخفیف موردی کارشناس" in text
    assert "پیوند" in text and "بازرگانی" in text
    assert proforma.in_words(quote.total).split()[0] in text
    # A draft is marked as such, so it is never sent by mistake.
    assert "پیش‌نویس".replace("\u200c", "") in text.replace("\u200c", "")


def test_the_font_is_embedded_and_page_one_renders(db, org, quote, tmp_path):
    pdf = proforma.render(quote)
    path = tmp_path / "proforma.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, timeout=60).stdout.decode()
    assert "Vazirmatn" in fonts and "DejaVu" not in fonts
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, timeout=60).stdout.decode()
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                   check=True, timeout=60)
    page = next(tmp_path.glob("page*.png"))
    assert page.stat().st_size > 10_000  # a page with content, not a blank one


def test_sent_quotes_lose_the_draft_mark_and_long_quotes_get_more_pages(db, org, quote, tmp_path):
    # No limit is set for reps here: the 2.5 % waits for the manager, and is shown so on the PDF.
    marked = normalise(pdf_text(proforma.render(quote), tmp_path))
    assert "منتظر" in marked and "مدیر" in marked
    quotes.decide_discount(quote.id, quote.lines[0].id, True, org.manager)
    quotes.send(quote.id, org.a)
    text = normalise(pdf_text(proforma.render(db.session.get(Quote, quote.id)), tmp_path))
    assert "پیشنویس" not in text.replace("\u200c", "")
    product = db.session.scalar(select(Product).where(Product.code == "K1"))
    long = quotes.new_version(quote.id, org.a)
    long = quotes.save(long.negotiation_id, {"lines": [{"product_id": product.id, "quantity": i + 1}
                                                       for i in range(60)]}, org.a, quote=long)
    text = pdf_text(proforma.render(long), tmp_path)
    assert text.count("\f") >= 2  # pages break; every line is there
    assert "60" in normalise(text)


def test_rendering_reads_only_the_static_files(app):
    import weasyprint  # noqa: F401 - the fetcher is WeasyPrint's
    fetch = proforma._local_fetcher([app.static_folder])
    assert fetch(proforma.font_url()).read()[:4] == b"wOF2"
    for url in ("http://example.com/logo.png", "https://127.0.0.1/x", "file:///etc/passwd",
                proforma.font_url().replace("/static/", "/static/../../"), "ftp://example.com/x"):
        with pytest.raises(ValueError):
            fetch.fetch(url)


def test_amounts_in_persian_words():
    assert proforma.in_words(0) == "صفر"
    assert proforma.in_words(105) == "صد و پنج"
    assert proforma.in_words(1_250_000) == "یک میلیون و دویست و پنجاه هزار"
    assert proforma.in_words(158_400_000) == "صد و پنجاه و هشت میلیون و چهارصد هزار"
    assert proforma.in_words(99_000_000_011) == "نود و نه میلیارد و یازده"
    assert proforma.in_words(10 ** 15 + 1) == "یک میلیون میلیارد و یک"
    assert to_persian_digits("1") in proforma.in_words(10 ** 19)  # beyond words: digits


def test_someone_else_s_quote_has_no_pdf(db, org, quote, client, login_as):
    login_as(org.c)  # another office
    assert client.get(f"/crm/quotes/{quote.id}/proforma.pdf").status_code == 404
    login_as(org.b)  # the same office: sees the opportunity, so the quote
    assert client.get(f"/crm/quotes/{quote.id}/proforma.pdf").status_code == 200
