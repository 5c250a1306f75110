"""The JSON API foundation under `/api/v1`, and the core's own endpoints.

Plugins build their API the same way: an `APIBlueprint` named `<plugin>_api`, `protect(bp)` for
token authentication, the same `permission_required` decorator and visibility helper as the UI,
`paginate_json(stmt, query)` for lists (the output schema dumps the items). Errors come out in the one shape of `core.errors`.
"""
from __future__ import annotations

import datetime as dt
import re

from apiflask import APIBlueprint, HTTPTokenAuth, Schema, abort
from apiflask.fields import Boolean, Date, Integer, List, Nested, String
from apiflask.validators import Range
from flask import g, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from core import auth
from core.access import permission_required, scope_filter
from core.db import db
from core.models.org import Department, Group, Office, Position, User
from core.models.products import Product
from core.persian import like_pattern
from core.services import organisation as org
from core.services import products as product_service
from core.services.users import save_user
from core.validation import ValidationError

token_auth = HTTPTokenAuth(scheme="Bearer", description="A personal token from the profile page.")


@token_auth.verify_token
def _verify(token):
    return auth.user_for_token(token) if token else None


@token_auth.error_handler
def _auth_error(status):
    return {"error": {"status": status, "code": "unauthorized",
                      "message": _("کلید API نامعتبر است یا فرستاده نشده است.")}}, status


def protect(bp: APIBlueprint) -> APIBlueprint:
    """Require a Bearer token on every route of `bp`. Session cookies are never accepted on
    the API, so it needs no CSRF token and a browser cannot be tricked into calling it."""
    @bp.before_request
    @bp.auth_required(token_auth)
    def _authenticate():
        g._login_user = token_auth.current_user
        # The permission before the body is validated: `@bp.input` runs outside
        # `permission_required`, and a caller without the permission gets 403, not field errors.
        from flask import current_app

        from core.access import enforce_permission
        enforce_permission(current_app.view_functions.get(request.endpoint))

    # APIFlask (3.1) documents a blueprint-wide auth only on the first blueprint using a given
    # auth object, so every plugin's API would appear in the OpenAPI document without its
    # security requirement. Declare each protected blueprint the way APIFlask records it.
    bp.record_once(lambda state: state.app._auth_blueprints.setdefault(
        bp.name, {"auth": token_auth, "roles": []}))
    return bp


class PageQuery(Schema):
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=25, validate=Range(min=1, max=200))
    q = String(load_default="")


def paginate_json(stmt, query: dict, shape=None) -> dict:
    """One page of `stmt` in the API's page shape. The items are returned as objects (passed
    through `shape` if given): the endpoint's output schema dumps them, once."""
    from sqlalchemy import func
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, per_page = query["page"], query["per_page"]
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": [shape(i) for i in items] if shape else items, "page": page, "per_page": per_page,
            "total": total, "pages": max(1, -(-total // per_page))}


def page_schema(item_schema, name: str):
    return Schema.from_dict({"items": List(Nested(item_schema)), "page": Integer(), "per_page": Integer(),
                             "total": Integer(), "pages": Integer()}, name=name)


def get_or_404(model, id_):
    obj = db.session.get(model, id_)
    if obj is None:
        abort(404)
    return obj


api_bp = protect(APIBlueprint("core_api", __name__, tag="Core"))


# --- schemas ------------------------------------------------------------------------------------

class OfficeOut(Schema):
    id = Integer()
    name = String()
    city = String()
    area_code = String()
    phone = String()
    address = String()
    active = Boolean()


class OfficeIn(Schema):
    name = String(required=True)
    city = String(load_default="")
    area_code = String(load_default="")
    phone = String(load_default="")
    address = String(load_default="")
    active = Boolean(load_default=True)


class DepartmentOut(Schema):
    id = Integer()
    office_id = Integer()
    name = String()


class DepartmentIn(Schema):
    office_id = Integer(required=True)
    name = String(required=True)


class NamedOut(Schema):
    id = Integer()
    name = String()


class GroupOut(Schema):
    id = Integer()
    name = String()
    description = String()
    permissions = List(String(), attribute="permissions")


class UserOut(Schema):
    id = Integer()
    username = String()
    first_name = String()
    last_name = String()
    email = String()
    phone = String()
    mobile = String()
    national_id = String(allow_none=True)
    birth_date = Date(allow_none=True)
    contract_start = Date(allow_none=True)
    contract_end = Date(allow_none=True)
    office_id = Integer(allow_none=True)
    department_id = Integer(allow_none=True)
    position_id = Integer(allow_none=True)
    manager_id = Integer(allow_none=True)
    max_open_negotiations = Integer()
    active = Boolean()
    group_ids = List(Integer(), attribute="group_ids")


class UserIn(Schema):
    username = String(required=True)
    first_name = String(required=True)
    last_name = String(required=True)
    email = String(load_default="")
    phone = String(load_default="")
    mobile = String(load_default="")
    national_id = String(load_default=None, allow_none=True)
    birth_date = String(load_default=None, allow_none=True, metadata={"description": "Jalali (1403/05/12) or ISO"})
    contract_start = String(load_default=None, allow_none=True)
    contract_end = String(load_default=None, allow_none=True)
    office_id = Integer(load_default=None, allow_none=True)
    department_id = Integer(load_default=None, allow_none=True)
    position_id = Integer(load_default=None, allow_none=True)
    manager_id = Integer(load_default=None, allow_none=True)
    max_open_negotiations = Integer(load_default=None, allow_none=True)
    group_ids = List(Integer(), load_default=list)
    active = Boolean(load_default=True)
    password = String(load_default="")


class ProductOut(Schema):
    id = Integer()
    code = String()
    name = String()
    unit = String()
    list_price = Integer(metadata={"description": "Rials"})
    cost_price = Integer(metadata={"description": "Rials"})
    tax_class = String()
    description = String()
    active = Boolean()


class ProductIn(Schema):
    code = String(required=True)
    name = String(required=True)
    unit = String(load_default="عدد")  # a stored value: not translated
    list_price = Integer(required=True)
    cost_price = Integer(load_default=0)
    tax_class = String(load_default="standard")
    description = String(load_default="")
    active = Boolean(load_default=True)


_ISO_DATE = re.compile(r"^\s*(19|20)\d\d-\d\d?-\d\d?\s*$")
_DATE_LABELS = {"birth_date": _l("تاریخ تولد"), "contract_start": _l("شروع قرارداد"), "contract_end": _l("پایان قرارداد")}


def _iso_dates(data: dict) -> dict:
    """The API accepts ISO dates as well as Jalali ones. Gregorian years (19xx, 20xx) never
    overlap Jalali ones (13xx, 14xx), so a 19xx/20xx date that is no real day is refused here
    rather than read as Jalali (2024-02-30 would otherwise become the year 2645)."""
    errors = {}
    for key, label in _DATE_LABELS.items():
        value = data.get(key)
        if isinstance(value, str) and _ISO_DATE.match(value):
            year, month, day = (int(part) for part in value.strip().split("-"))
            try:
                data[key] = dt.date(year, month, day)
            except ValueError:
                errors[key] = _("«%(label)s» تاریخ معتبری نیست.", label=label)
    if errors:
        raise ValidationError(errors)
    return data


# --- endpoints ----------------------------------------------------------------------------------

@api_bp.get("/me")
@api_bp.output(UserOut)
@permission_required(None)
def me():
    """The user the token belongs to."""
    return _user_out(current_user)


def _user_out(user: User):
    user.group_ids = [gr.id for gr in user.groups]
    return user


@api_bp.get("/users")
@api_bp.input(PageQuery, location="query", arg_name="query")
@api_bp.output(page_schema(UserOut, "UserPage"))
@permission_required("core.users")
def list_users(query):
    stmt = select(User).where(scope_filter(current_user, "core.users", User.id, User.office_id)).order_by(User.id)
    if query["q"]:
        stmt = stmt.where(or_(User.username.ilike(f"%{query['q']}%"),
                              User.last_name.like(like_pattern(query["q"]), escape="\\")))
    return paginate_json(stmt, query, shape=_user_out)


def _visible_user(user_id: int) -> User:
    user = db.session.scalar(select(User).where(
        User.id == user_id, scope_filter(current_user, "core.users", User.id, User.office_id)))
    if user is None:
        abort(404)
    return user


@api_bp.get("/users/<int:user_id>")
@api_bp.output(UserOut)
@permission_required("core.users")
def get_user(user_id):
    return _user_out(_visible_user(user_id))


@api_bp.post("/users")
@api_bp.input(UserIn, arg_name="data")
@api_bp.output(UserOut, status_code=201)
@permission_required("core.users")
def create_user(data):
    data["password_repeat"] = data.get("password", "")
    return _user_out(save_user(_iso_dates(data)))


@api_bp.patch("/users/<int:user_id>")
@api_bp.input(UserIn(partial=True), arg_name="data")
@api_bp.output(UserOut)
@permission_required("core.users")
def update_user(user_id, data):
    user = _visible_user(user_id)
    current = UserOut().dump(_user_out(user))
    current.update(data)
    if data.get("password"):
        current["password_repeat"] = data["password"]
    # Also the stored dates, which the dump above turned into ISO strings.
    return _user_out(save_user(_iso_dates(current), user))


@api_bp.get("/offices")
@api_bp.output(OfficeOut(many=True))
@permission_required("core.organisation", "core.users")
def list_offices():
    return db.session.scalars(select(Office).order_by(Office.name)).all()


@api_bp.post("/offices")
@api_bp.input(OfficeIn, arg_name="data")
@api_bp.output(OfficeOut, status_code=201)
@permission_required("core.organisation")
def create_office(data):
    return org.save_office(data)


@api_bp.patch("/offices/<int:office_id>")
@api_bp.input(OfficeIn(partial=True), arg_name="data")
@api_bp.output(OfficeOut)
@permission_required("core.organisation")
def update_office(office_id, data):
    office = get_or_404(Office, office_id)
    return org.save_office({**OfficeOut().dump(office), **data}, office)


@api_bp.get("/departments")
@api_bp.output(DepartmentOut(many=True))
@permission_required("core.organisation", "core.users")
def list_departments():
    return db.session.scalars(select(Department).order_by(Department.office_id, Department.name)).all()


@api_bp.post("/departments")
@api_bp.input(DepartmentIn, arg_name="data")
@api_bp.output(DepartmentOut, status_code=201)
@permission_required("core.organisation")
def create_department(data):
    return org.save_department(data)


@api_bp.get("/positions")
@api_bp.output(NamedOut(many=True))
@permission_required("core.organisation", "core.users")
def list_positions():
    return db.session.scalars(select(Position).order_by(Position.name)).all()


@api_bp.get("/groups")
@api_bp.output(GroupOut(many=True))
@permission_required("core.groups", "core.users")
def list_groups():
    return db.session.scalars(select(Group).order_by(Group.name)).all()


@api_bp.get("/products")
@api_bp.input(PageQuery, location="query", arg_name="query")
@api_bp.output(page_schema(ProductOut, "ProductPage"))
@permission_required("core.products")
def list_products(query):
    stmt = product_service.search(query["q"], active_only=request.args.get("active") == "1").order_by(Product.code)
    return paginate_json(stmt, query)


@api_bp.get("/products/<int:product_id>")
@api_bp.output(ProductOut)
@permission_required("core.products")
def get_product(product_id):
    return get_or_404(Product, product_id)


@api_bp.post("/products")
@api_bp.input(ProductIn, arg_name="data")
@api_bp.output(ProductOut, status_code=201)
@permission_required("core.products_manage")
def create_product(data):
    return product_service.save_product(data)


@api_bp.patch("/products/<int:product_id>")
@api_bp.input(ProductIn(partial=True), arg_name="data")
@api_bp.output(ProductOut)
@permission_required("core.products_manage")
def update_product(product_id, data):
    product = get_or_404(Product, product_id)
    return product_service.save_product({**ProductOut().dump(product), **data}, product)
