"""The application factory, made of small `configure_*` steps."""
from __future__ import annotations

import logging
import os

from apiflask import APIBlueprint, APIFlask
from flask import has_request_context, request
from flask_babel import Babel, lazy_gettext as _l
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from core import config as cfg
from core.db import db
from core.plugins import PluginError, PluginHost

log = logging.getLogger(__name__)
CORE_DIR = os.path.dirname(os.path.abspath(__file__))
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()


class PeyvandState:
    """What the app keeps about its plugins, in `app.extensions['peyvand']`."""

    def __init__(self, host: PluginHost):
        self.host = host
        self.permissions = host.permissions()
        self.settings_schema = host.settings()
        self.periodic_tasks = host.periodic_tasks()


def create_app(test_config: dict | None = None) -> APIFlask:
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("PEYVAND_INSTANCE_PATH") \
        or os.path.join(os.getcwd(), "instance")
    app = APIFlask(
        "core", instance_path=os.path.abspath(instance_path), instance_relative_config=True,
        template_folder=os.path.join(CORE_DIR, "templates"),
        static_folder=os.path.join(CORE_DIR, "static"),
        spec_path="/api/v1/openapi.json", docs_path="/api/v1/docs",
        title="Peyvand API", version="1", json_errors=False,
        docs_oauth2_redirect_path=None,
    )
    configure_config(app, test_config)
    configure_db(app)
    configure_plugins(app)
    configure_login(app)
    configure_templates(app)
    configure_blueprints(app)
    configure_i18n(app)
    configure_errors(app)
    configure_cli(app)
    configure_proxy(app)
    return app


def configure_config(app, test_config):
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(cfg.defaults(app.instance_path))
    app.config.update(cfg.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = cfg.database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)


def configure_db(app):
    import core.audit  # noqa: F401  session listeners: audit trail
    import core.jobs  # noqa: F401  session listeners: after-commit events
    import core.models  # noqa: F401  register the core's tables before plugins add theirs

    db.init_app(app)


def configure_plugins(app):
    host = PluginHost(disabled=tuple(app.config["DISABLED_PLUGINS"]),
                      extra=tuple(app.config.get("EXTRA_PLUGINS", ())))
    app.extensions["peyvand"] = PeyvandState(host)


def configure_i18n(app):
    """After the blueprints: each plugin's `translations/` folder has been added by then."""

    def select_locale():
        # CLI commands and jobs have no request (and no user): they speak the default locale.
        if not has_request_context():
            return app.config["BABEL_DEFAULT_LOCALE"]
        if current_user and current_user.is_authenticated and current_user.locale in app.config["LANGUAGES"]:
            return current_user.locale
        chosen = request.cookies.get("lang")
        if chosen in app.config["LANGUAGES"]:
            return chosen
        return app.config["BABEL_DEFAULT_LOCALE"]

    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Tehran")


def configure_login(app):
    from core import auth

    login_manager.init_app(app)
    login_manager.login_view = "core.login"
    login_manager.login_message = _l("برای دیدن این صفحه وارد شوید.")
    login_manager.login_message_category = "warning"
    login_manager.user_loader(auth.load_user)
    csrf.init_app(app)


def configure_templates(app):
    from core import ui

    ui.init_app(app)


def configure_blueprints(app):
    state = app.extensions["peyvand"]
    names = set()
    translation_dirs = [os.path.join(CORE_DIR, "translations")]
    for plugin, blueprints in state.host.call_each("register_blueprints", app=app):
        for bp in blueprints:
            if not (bp.name == plugin or bp.name.startswith(plugin + "_")):
                raise PluginError(f"blueprint {bp.name!r} of plugin {plugin!r} must be named '{plugin}' or '{plugin}_…'")
            if bp.name in names:
                raise PluginError(f"blueprint {bp.name!r} registered twice")
            names.add(bp.name)
            if isinstance(bp, APIBlueprint):
                csrf.exempt(bp)  # token-authenticated; cookies are not accepted there
                app.register_blueprint(bp, url_prefix="/api/v1" + (bp.url_prefix or ""))
            else:
                app.register_blueprint(bp)
            trans = os.path.join(bp.root_path, "translations")
            if os.path.isdir(trans) and trans not in translation_dirs:
                translation_dirs.append(trans)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_dirs)


def configure_errors(app):
    from core import errors

    errors.init_app(app)


def configure_proxy(app):
    """Behind nginx or another reverse proxy, trust its X-Forwarded-* headers (PEYVAND_PROXIES=1
    for one proxy), so rate limits and logs see the visitor's address, not the proxy's."""
    proxies = int(app.config.get("PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def configure_cli(app):
    from core.cli import main  # the `peyvand` group: its own commands win over the app's

    existing = set(app.cli.commands) | set(main.commands)
    for plugin, commands in app.extensions["peyvand"].host.call_each("cli_commands"):
        for command in commands:
            if command.name in existing:
                raise PluginError(f"command {command.name!r} of plugin {plugin!r} clashes with another")
            existing.add(command.name)
            app.cli.add_command(command)

