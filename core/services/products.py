"""The product catalogue."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from core.db import db
from core.models.products import Product
from core.persian import like_pattern, normalize
from core.validation import Checker, ValidationError

MAX_RIALS = 10 ** 15  # a thousand trillion Rials: far above any price, far below BIGINT

TAX_CLASSES = (("standard", _l("مشمول مالیات بر ارزش افزوده")), ("exempt", _l("معاف")))


def save_product(data: dict, product: Product | None = None) -> Product:
    c = Checker(data)
    code = c.text("code", _("کد کالا"), required=True, max_len=40)
    name = c.text("name", _("نام کالا"), required=True, max_len=200)
    unit = c.text("unit", _("واحد"), max_len=30) or "عدد"  # a stored value: not translated
    list_price = c.integer("list_price", _("قیمت فروش (ریال)"), required=True, minimum=0, maximum=MAX_RIALS)
    cost_price = c.integer("cost_price", _("بهای تمام‌شده (ریال)"), minimum=0, maximum=MAX_RIALS, default=0)
    tax_class = c.text("tax_class", _("طبقهٔ مالیاتی"), max_len=30) or "standard"
    if tax_class not in dict(TAX_CLASSES):
        c.fail("tax_class", _("طبقهٔ مالیاتی معتبر نیست."))
    description = c.text("description", _("توضیح"), max_len=4000)
    if code:
        q = select(func.count()).select_from(Product).where(func.lower(Product.code) == code.lower())
        if product is not None:
            q = q.where(Product.id != product.id)
        if db.session.scalar(q):
            c.fail("code", _("کالای دیگری با این کد هست."))
    c.done()
    product = product or Product()
    product.code, product.name, product.unit = code, name, unit
    product.list_price, product.cost_price, product.tax_class = list_price, cost_price, tax_class
    product.description = description
    product.search_key = normalize(f"{code} {name}")
    if "active" in data:
        product.active = bool(data["active"])
    db.session.add(product)
    db.session.commit()
    return product


def delete_product(product: Product) -> None:
    """Delete a product no document refers to; one that was sold or stocked is deactivated instead."""
    db.session.delete(product)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ValidationError(_("این کالا در اسناد دیگر به کار رفته است؛ به‌جای حذف، آن را غیرفعال کنید.")) from None


def search(query: str = "", active_only: bool = False):
    stmt = select(Product)
    if query:
        stmt = stmt.where(Product.search_key.like(like_pattern(query), escape="\\"))
    if active_only:
        stmt = stmt.where(Product.active.is_(True))
    return stmt
