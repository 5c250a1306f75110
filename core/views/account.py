"""Login, logout, the workbench home, the profile page, the rules page."""
from __future__ import annotations

import os
from urllib.parse import urlsplit

from flask import (abort, current_app, flash, make_response, redirect, render_template, request,
                   send_from_directory, session, url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired

from core import auth
from core.access import login_only, public
from core.db import db
from core.forms import FlaskForm, apply_errors, form_data
from core.models.org import ApiToken, User
from core.models.site import SitePage
from core.services.users import save_photo, save_user
from core.validation import ValidationError
from core.views import core_bp
from core.views.helpers import get_or_404


class LoginForm(FlaskForm):
    username = StringField(_l("نام کاربری"), validators=[DataRequired(_l("نام کاربری را وارد کنید."))])
    password = PasswordField(_l("گذرواژه"), validators=[DataRequired(_l("گذرواژه را وارد کنید."))])
    remember = BooleanField(_l("مرا به خاطر بسپار"))


class ProfileForm(FlaskForm):
    first_name = StringField(_l("نام"))
    last_name = StringField(_l("نام خانوادگی"))
    email = StringField(_l("ایمیل"))
    phone = StringField(_l("تلفن"))
    mobile = StringField(_l("تلفن همراه"))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("گذرواژهٔ فعلی"))
    new = PasswordField(_l("گذرواژهٔ تازه"))
    repeat = PasswordField(_l("تکرار گذرواژهٔ تازه"))


class TokenForm(FlaskForm):
    name = StringField(_l("نام کلید (مثلاً: اتصال حسابداری)"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site: browsers read `/\\evil.com` as `//evil.com`, another host."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(ch) < 32 for ch in target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("core.home")


@core_bp.route("/login", methods=["GET", "POST"])
@public  # the way in
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = auth.authenticate(form.username.data, form.password.data, request.remote_addr or "")
        except auth.LoginError as exc:
            form.password.errors = [str(exc)]
        else:
            session.permanent = True
            login_user(user, remember=form.remember.data)
            # A language picked on the login page is the user's choice from now on.
            chosen = session.pop("lang", None)
            if chosen in current_app.config["LANGUAGES"] and chosen != user.locale:
                user.locale = chosen
                db.session.commit()
            response = redirect(_safe_next(request.args.get("next")))
            _remember_language(response, user.locale)
            return response
    return render_template("account/login.html", form=form)


def _remember_language(response, code: str) -> None:
    """The `lang` cookie: the language of the pages shown before login (the login page itself)."""
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=3600 * 24 * 365, samesite="Lax")


@core_bp.route("/logout", methods=["POST"])
@login_only
def logout():
    logout_user()
    flash(_("از سامانه خارج شدید."), "info")
    return redirect(url_for("core.login"))


@core_bp.route("/")
@login_only
def home():
    return render_template("account/home.html")


@core_bp.route("/rules")
@login_only
def rules():
    page = db.session.get(SitePage, "rules")
    return render_template("account/rules.html", page=page)


@core_bp.route("/lang/<code>", methods=["POST"])
@public  # choosing the interface language is allowed before login
def set_language(code):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = make_response(redirect(_safe_next(request.form.get("next"))))
    _remember_language(response, code)
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    else:
        session["lang"] = code  # saved as the user's language at login
    return response


@core_bp.route("/profile", methods=["GET", "POST"])
@login_only
def profile():
    form = ProfileForm(obj=current_user, prefix="p")
    pw_form = PasswordForm(prefix="pw")
    token_form = TokenForm(prefix="t")
    new_secret = None
    action = request.form.get("action")
    if request.method == "POST":
        try:
            if action == "details" and form.validate_on_submit():
                save_user(form_data(form), current_user, by_admin=False)
                flash(_("مشخصات شما ذخیره شد."), "success")
                return redirect(url_for("core.profile"))
            if action == "photo":
                if not FlaskForm().validate_on_submit():
                    abort(400)
                save_photo(current_user, request.files.get("photo") or _empty_file())
                flash(_("عکس شما ذخیره شد."), "success")
                return redirect(url_for("core.profile"))
            if action == "password" and pw_form.validate_on_submit():
                auth.change_password(current_user, pw_form.current.data, pw_form.new.data, pw_form.repeat.data)
                # The user object, not the `current_user` proxy: flask-login stores what it is given
                # in `g`, and a proxy to itself would recurse on the next lookup (the locale selector).
                login_user(current_user._get_current_object())  # the session token changed; keep this session
                flash(_("گذرواژه تغییر کرد. نشست‌های دیگر شما بسته شدند."), "success")
                return redirect(url_for("core.profile"))
            if action == "token" and token_form.validate_on_submit():
                _token, new_secret = auth.create_token(current_user, token_form.name.data)
                token_form.name.data = ""
            if action == "revoke" and FlaskForm().validate_on_submit():
                auth.revoke_token(current_user, int(request.form.get("token_id", "0") or 0))
                flash(_("کلید باطل شد."), "success")
                return redirect(url_for("core.profile"))
        except ValidationError as exc:
            db.session.rollback()
            for message in apply_errors(form, exc):
                flash(message, "danger")
        except auth.LoginError as exc:
            db.session.rollback()
            (token_form.name if action == "token" else pw_form.current).errors = [str(exc)]
        except LookupError as exc:
            flash(str(exc), "danger")
    tokens = db.session.query(ApiToken).filter_by(user_id=current_user.id).order_by(ApiToken.id.desc()).all()
    return render_template("account/profile.html", form=form, pw_form=pw_form, token_form=token_form,
                           tokens=tokens, new_secret=new_secret)


def _empty_file():
    import io
    return io.BytesIO(b"")


@core_bp.route("/users/<int:user_id>/photo")
@login_only
def user_photo(user_id):
    user = get_or_404(User, user_id)
    if not user.photo:
        abort(404)
    return send_from_directory(os.path.join(current_app.config["UPLOAD_FOLDER"], "photos"), user.photo,
                               mimetype="image/jpeg", max_age=3600)


@core_bp.route("/health")
@public  # load balancers and `make run` poll it
def health():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
