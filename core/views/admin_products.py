"""The product catalogue screens."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from core.access import permission_required
from core.audit import history
from core.forms import FlaskForm, PersianIntegerField
from core.models.products import Product
from core.services import products as product_service
from core.views import admin_bp
from core.views.helpers import apply_sort, delete_and_redirect, get_or_404, paginate, save_form


class ProductForm(FlaskForm):
    code = StringField(_l("کد کالا"), render_kw={"dir": "ltr"})
    name = StringField(_l("نام کالا"))
    unit = StringField(_l("واحد"), default="عدد")  # a value stored as typed, like the service's default
    list_price = PersianIntegerField(_l("قیمت فروش (ریال)"))
    cost_price = PersianIntegerField(_l("بهای تمام‌شده (ریال)"))
    tax_class = SelectField(_l("طبقهٔ مالیاتی"), choices=product_service.TAX_CLASSES)
    description = TextAreaField(_l("توضیح"))
    active = BooleanField(_l("فعال"), default=True)


@admin_bp.route("/products")
@permission_required("core.products")
def products():
    q = request.args.get("q", "").strip()
    stmt = product_service.search(q, active_only=request.args.get("active") == "1")
    stmt, sort = apply_sort(stmt, {"code": Product.code, "name": Product.name, "price": Product.list_price}, "code")
    return render_template("admin/products.html", page=paginate(stmt), q=q, sort=sort)


@admin_bp.route("/products/new", methods=["GET", "POST"])
@admin_bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@permission_required("core.products_manage")
def product_edit(product_id=None):
    product = get_or_404(Product, product_id) if product_id else None
    form = ProductForm(obj=product)
    done = save_form(form, product_service.save_product, product, url_for("core_admin.products"), _("کالا ذخیره شد."))
    entries = history("products", product.id) if product else []
    return done or render_template("admin/product_edit.html", form=form, product=product, entries=entries)


@admin_bp.route("/products/<int:product_id>/delete", methods=["POST"])
@permission_required("core.products_manage")
def product_delete(product_id):
    return delete_and_redirect(get_or_404(Product, product_id), product_service.delete_product,
                               url_for("core_admin.products"), _("کالا حذف شد."))
