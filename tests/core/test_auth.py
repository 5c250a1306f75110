"""Logging in and out, throttling, sessions, CSRF, and the user's own profile page."""
from __future__ import annotations

import datetime as dt
import io
import os
import re

from PIL import Image
from sqlalchemy import func, select

from core.jalali import utcnow
from core.models.org import ApiToken, LoginAttempt, Office, User

WRONG = "نام کاربری یا گذرواژه درست نیست."
THROTTLED = "تلاش‌های ناموفق بیش از حد بوده است"


def page(response) -> str:
    return response.get_data(as_text=True)


def login(client, username, password, **extra):
    query = extra.pop("query", "")
    return client.post("/login" + query, data={"username": username, "password": password, **extra})


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def reload(db, user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- login and logout ----------------------------------------------------------------------------

def test_right_password_lands_on_the_workbench(client, make_user):
    make_user("sara", first_name="سارا", last_name="کریمی")
    response = login(client, "Sara", "password123")  # usernames are not case-sensitive
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "کارتابل سارا کریمی" in page(home)


def test_wrong_password_is_refused_in_persian(client, db, make_user):
    make_user("sara")
    response = login(client, "sara", "not-the-password")
    assert response.status_code == 200
    assert WRONG in page(response)
    assert client.get("/").status_code == 302  # still anonymous
    # An unknown username gets the same message: it must not reveal which usernames exist.
    assert WRONG in page(login(client, "nobody", "password123"))


def test_sixth_attempt_is_refused_even_with_the_right_password(client, db, make_user):
    make_user("sara")
    make_user("reza")
    for _ in range(5):
        assert WRONG in page(login(client, "sara", "guess"))
    response = login(client, "sara", "password123")
    assert THROTTLED in page(response)
    assert client.get("/").status_code == 302
    # The lock is on the username: another user (same address) still gets in.
    assert login(client, "reza", "password123").status_code == 302


def test_throttle_holds_across_app_instances(make_app, make_user, db):
    """Two web processes on one database: failures counted in one refuse logins in the other."""
    make_user("sara")
    first, second = make_app().test_client(), make_app().test_client()
    for client in (first, second, first, second, first):
        assert WRONG in page(login(client, "sara", "guess"))
    assert THROTTLED in page(login(second, "sara", "password123"))
    assert THROTTLED in page(login(first, "sara", "password123"))
    assert second.get("/").status_code == 302


def test_failures_older_than_the_window_do_not_count(client, db, make_user):
    make_user("sara")
    old = utcnow() - dt.timedelta(minutes=16)  # the window is 15 minutes
    db.session.add_all([LoginAttempt(username="sara", ip="127.0.0.1", at=old) for _ in range(5)])
    db.session.commit()
    assert login(client, "sara", "password123").status_code == 302
    # A successful login clears the user's failures.
    assert count(db, LoginAttempt) == 0


def test_inactive_user_cannot_log_in(client, make_user):
    make_user("sara", active=False)
    response = login(client, "sara", "password123")
    assert response.status_code == 200
    assert "حساب کاربری شما غیرفعال است" in page(response)
    assert client.get("/").status_code == 302


def test_deactivating_a_user_ends_their_session(client, db, make_user):
    from core.services.users import save_user
    user = make_user("sara")
    assert login(client, "sara", "password123").status_code == 302
    save_user(dict(first_name=user.first_name, last_name=user.last_name, username="sara", active=False,
                   group_ids=[g.id for g in user.groups]), user)
    assert client.get("/").status_code == 302


def test_next_goes_to_a_local_page_only(app, make_user):
    make_user("sara")
    for target, expected in [("/profile", "/profile"), ("//evil.com", "/"), ("http://evil.com", "/"),
                             ("https://evil.com/x", "/"), ("/\\evil.com", "/"), ("/\t/evil.com", "/"),
                             ("javascript:alert(1)", "/")]:
        client = app.test_client()
        response = client.post("/login", query_string={"next": target},
                               data={"username": "sara", "password": "password123"})
        assert response.status_code == 302, target
        assert response.headers["Location"] == expected, target


def test_anonymous_user_is_sent_to_login_and_back(client, make_user):
    make_user("sara")
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    followed = client.get(response.headers["Location"])
    assert "برای دیدن این صفحه وارد شوید." in page(followed)
    back = client.post(response.headers["Location"], data={"username": "sara", "password": "password123"})
    assert back.headers["Location"] == "/profile"


def test_logout_needs_post(client, make_user):
    make_user("sara")
    login(client, "sara", "password123")
    response = client.get("/logout")
    assert response.status_code == 405
    assert "این روش درخواست پذیرفته نیست." in page(response)
    assert client.get("/").status_code == 200  # still logged in
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_old_session_ends_when_the_password_changes(app, db, make_user):
    """The session cookie carries the user's session token; a new password changes the token."""
    from core.services.users import save_user
    user = make_user("sara")
    browser, remembered = app.test_client(), app.test_client()
    login(browser, "sara", "password123")
    login(remembered, "sara", "password123", remember="y")
    assert browser.get("/").status_code == 200 and remembered.get("/").status_code == 200

    save_user(dict(first_name=user.first_name, last_name=user.last_name, username="sara", active=True,
                   password="a-new-secret", password_repeat="a-new-secret",
                   group_ids=[g.id for g in user.groups]), user)

    response = browser.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    # Nor does the "remember me" cookie bring the old session back.
    assert remembered.get("/").status_code == 302
    assert login(app.test_client(), "sara", "a-new-secret").status_code == 302


def test_missing_csrf_token_is_refused_and_nothing_written(make_app, make_user, db):
    admin = make_user("admin", role="administrator")
    guarded = make_app({"WTF_CSRF_ENABLED": True})
    client = guarded.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = admin.get_id()

    response = client.post("/admin/offices/new", data={"name": "دفتر تبریز", "city": "تبریز"})
    assert response.status_code == 400
    assert "فرم منقضی شده یا ناقص ارسال شده است" in page(response)
    assert 'dir="rtl"' in page(response)
    db.session.rollback()
    assert count(db, Office) == 0

    # With the token from the form, the same request goes through: the check is the token.
    form = page(client.get("/admin/offices/new"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post("/admin/offices/new", data={"name": "دفتر تبریز", "city": "تبریز", "csrf_token": token})
    assert response.status_code == 302
    db.session.rollback()
    assert count(db, Office) == 1


def test_login_form_without_csrf_token_is_refused(make_app, make_user, db):
    make_user("sara")
    client = make_app({"WTF_CSRF_ENABLED": True}).test_client()
    response = login(client, "sara", "password123")
    assert response.status_code == 400
    assert "فرم منقضی شده" in page(response)
    assert client.get("/").status_code == 302


# --- profile -------------------------------------------------------------------------------------

def profile_details(**changes):
    data = {"action": "details", "p-first_name": "سارا", "p-last_name": "کریمی", "p-email": "",
            "p-phone": "", "p-mobile": ""}
    data.update({f"p-{k}": v for k, v in changes.items()})
    return data


def test_profile_edit_own_details(client, db, login_as, make_user):
    user = make_user("sara")
    login_as(user)
    response = client.post("/profile", data=profile_details(
        first_name="سارا", last_name="کریمی‌نژاد", mobile="۰۹۱۲ ۳۴۵ ۶۷۸۹", email="sara@example.ir",
        username="hacker", max_open_negotiations="999"))  # not profile fields: ignored
    assert response.status_code == 302
    assert "مشخصات شما ذخیره شد." in page(client.get("/profile"))
    user = reload(db, user)
    assert (user.first_name, user.last_name, user.mobile, user.email) == (
        "سارا", "کریمی‌نژاد", "۰۹۱۲ ۳۴۵ ۶۷۸۹", "sara@example.ir")
    assert user.username == "sara" and user.max_open_negotiations == 50


def test_profile_invalid_mobile_is_refused(client, db, login_as, make_user):
    user = make_user("sara", first_name="سارا")
    login_as(user)
    for mobile, message in [("021 6612 3456", "این شماره، تلفن همراه نیست."),
                            ("abc", "شماره تلفن نیست")]:
        response = client.post("/profile", data=profile_details(last_name="تازه", mobile=mobile))
        assert response.status_code == 200
        assert message in page(response), mobile
        user = reload(db, user)
        assert user.mobile == "" and user.last_name == "sara"


def test_profile_requires_a_name(client, db, login_as, make_user):
    user = make_user("sara")
    login_as(user)
    response = client.post("/profile", data=profile_details(first_name="  "))
    assert "«نام» را وارد کنید." in page(response)
    assert reload(db, user).first_name == "کاربر"


def change_password(client, current, new, repeat=None):
    return client.post("/profile", data={"action": "password", "pw-current": current, "pw-new": new,
                                         "pw-repeat": new if repeat is None else repeat})


def test_change_password(app, client, db, login_as, make_user):
    user = make_user("sara")
    other_browser = app.test_client()
    login(other_browser, "sara", "password123")
    login_as(user)
    old_hash = user.password_hash

    response = change_password(client, "wrong-one", "brand-new-pass")
    assert "گذرواژه فعلی درست نیست." in page(response)
    response = change_password(client, "password123", "short")
    assert "گذرواژه باید دست‌کم ۸ نویسه باشد." in page(response)
    response = change_password(client, "password123", "brand-new-pass", "brand-new-typo")
    assert "گذرواژه و تکرار آن یکسان نیستند." in page(response)
    assert reload(db, user).password_hash == old_hash

    response = change_password(client, "password123", "brand-new-pass")
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200  # this session carries on
    assert other_browser.get("/").status_code == 302  # the others are closed
    assert WRONG in page(login(app.test_client(), "sara", "password123"))
    assert login(app.test_client(), "sara", "brand-new-pass").status_code == 302


def png_bytes(size=(900, 600), color=(30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def upload(client, data: bytes, name="me.png"):
    return client.post("/profile", data={"action": "photo", "photo": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def photo_files(app) -> list[str]:
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "photos")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_photo_upload_is_reencoded_as_jpeg_and_served(app, client, db, login_as, make_user):
    user = make_user("sara")
    login_as(user)
    response = upload(client, png_bytes())
    assert response.status_code == 302
    user = reload(db, user)
    assert user.photo.endswith(".jpg")
    assert photo_files(app) == [user.photo]

    served = client.get(f"/users/{user.id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as img:
        assert img.format == "JPEG"
        assert max(img.size) == 512 and img.size == (512, 341)  # shrunk, proportions kept

    # A second upload replaces the first file.
    assert upload(client, png_bytes(color=(200, 10, 10))).status_code == 302
    user = reload(db, user)
    assert photo_files(app) == [user.photo]


def test_photo_oversized_or_not_an_image_is_refused(app, client, db, login_as, make_user):
    user = make_user("sara")
    login_as(user)
    upload(client, png_bytes())
    before = reload(db, user).photo

    too_big = png_bytes() + b"\0" * app.config["PHOTO_MAX_BYTES"]
    response = upload(client, too_big)
    assert response.status_code == 200
    assert "حجم عکس نباید بیش از ۲ مگابایت باشد." in page(response)

    response = upload(client, "این یک متن است، نه عکس".encode(), name="fake.png")
    assert "فایل انتخاب‌شده عکس نیست" in page(response)

    response = upload(client, b"", name="")
    assert "فایلی انتخاب نشده است." in page(response)

    assert reload(db, user).photo == before
    assert photo_files(app) == [before]


def test_photo_of_user_without_one_is_404(client, login_as, make_user):
    user = make_user("sara")
    login_as(user)
    assert client.get(f"/users/{user.id}/photo").status_code == 404
    assert client.get("/users/999999/photo").status_code == 404


def test_api_token_shown_once_then_revoked(app, client, db, login_as, make_user):
    user = make_user("sara")
    login_as(user)
    response = client.post("/profile", data={"action": "token", "t-name": "اتصال حسابداری"})
    assert response.status_code == 200
    secret = re.search(r'id="new-token">([^<]+)<', page(response)).group(1)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.name == "اتصال حسابداری" and secret.startswith(token.prefix)
    assert secret not in token.token_hash  # only a digest is stored
    assert secret not in page(client.get("/profile"))  # shown once

    api = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/me", headers=auth).get_json()["username"] == "sara"

    response = client.post("/profile", data={"action": "revoke", "token_id": str(token.id)})
    assert response.status_code == 302
    assert "کلید باطل شد." in page(client.get("/profile"))
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert api.get("/api/v1/me", headers=auth).status_code == 401


def test_api_token_needs_a_name(client, db, login_as, make_user):
    login_as(make_user("sara"))
    response = client.post("/profile", data={"action": "token", "t-name": "   "})
    assert "برای کلید یک نام (تا ۱۲۰ نویسه) بنویسید." in page(response)
    assert count(db, ApiToken) == 0


def test_cannot_revoke_another_users_token(client, db, login_as, make_user):
    from core import auth
    sara, reza = make_user("sara"), make_user("reza")
    token, _secret = auth.create_token(reza, "کلید رضا")
    login_as(sara)
    response = client.post("/profile", data={"action": "revoke", "token_id": str(token.id)})
    assert "این کلید پیدا نشد." in page(response)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None
