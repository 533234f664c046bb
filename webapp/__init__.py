"""Кабинет медработника: the application factory."""

import os
from collections import ChainMap
from pathlib import Path

from flask import Flask, Request, current_app
from flask.templating import Environment

from webapp import config as settings
from webapp.config import ROOT


class UploadAwareRequest(Request):
    """Uploads may be bigger than other requests; still refused from Content-Length alone."""

    @property
    def max_content_length(self) -> int | None:
        from webapp.documents.upload_views import UPLOAD_ENDPOINTS

        if self.endpoint in UPLOAD_ENDPOINTS:
            return current_app.config["UPLOAD_MAX_REQUEST_BYTES"]
        return super().max_content_length


class TemplateGlobals(ChainMap):
    """A template's globals over the environment's, as Jinja makes them, with C-speed `keys()`.

    Each `{% import %}` subtracts a template's globals' keys from the page's
    (`Template._get_default_module`): through ChainMap's `KeysView` that is a Python loop with a
    generator per key, ~25 µs for our ~60 globals; on a dict's keys it is one C call."""

    def keys(self):
        return dict.fromkeys(self).keys()


DICT_ATTRIBUTES = frozenset(dir(dict))


class TemplateEnvironment(Environment):
    def make_globals(self, d):
        return TemplateGlobals({} if d is None else d, self.globals)

    def getattr(self, obj, attribute):
        """`obj.name` in a template: Jinja's own steps (the attribute, else the item), except on a
        dict row, whose item is taken at once when the name is not one of dict's own: there the
        attribute can only fail, and its AttributeError costs ~1 µs, a hundred a record page.
        (Jinja's lines are repeated rather than called: a call more is as dear on other objects.)"""
        if type(obj) is dict and attribute not in DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)


class Medkab(Flask):
    """Flask, with `ensure_sync` remembered: Flask asks, for every hook and view on every
    request, whether the function is a coroutine (two `inspect` calls, ~20 a page); ours never
    change and none is. Bounded, since `after_this_request` passes a new closure each time."""

    request_class = UploadAwareRequest
    jinja_environment = TemplateEnvironment

    def ensure_sync(self, func):
        known = self.extensions.setdefault("sync_functions", {})
        found = known.get(func)
        if found is None:
            found = super().ensure_sync(func)
            if len(known) < 1000:
                known[func] = found
        return found


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config layers, secrets, extensions, blueprints, CLI."""
    instance_path = Path(
        os.environ.get("MEDKAB_INSTANCE_PATH")
        or (test_config or {}).get("INSTANCE_PATH")
        or ROOT / "instance"
    )
    instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    app = Medkab(
        __name__,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
        instance_path=str(instance_path),
        instance_relative_config=True,
    )
    app.config.update(settings.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(settings.from_environment())
    if test_config:
        app.config.update(test_config)
    if not app.config["DATABASE"]:
        app.config["DATABASE"] = str(instance_path / "medkab.sqlite3")
    app.debug = app.config["DEBUG"]
    app.config.setdefault("SECRET_KEY", None)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = settings.ensure_secret(instance_path, "secret_key").hex()
    data_key = app.config.get("DATA_KEY") or os.environ.get("MEDKAB_DATA_KEY")
    master = (
        bytes.fromhex(data_key) if data_key else settings.ensure_secret(instance_path, "data_key")
    )
    app.config["WTF_CSRF_SSL_STRICT"] = app.config["HTTPS"]
    app.config["WTF_I18N_ENABLED"] = False
    app.config["SESSION_COOKIE_SECURE"] = app.config["HTTPS"]
    if app.config["HTTPS"]:
        app.config["PREFERRED_URL_SCHEME"] = "https"

    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from webapp.crypto import FieldCipher

    app.extensions["cipher"] = FieldCipher(master)
    from webapp.adapters.storage import storage_from_config

    files = Path(app.config["FILES_PATH"] or instance_path / "files")
    app.extensions["storage"] = storage_from_config(app.config, files, master)

    from webapp import compression, forms, static_files

    forms.use_fast_html_params()

    compression.init_app(app)  # first: its after_request then runs after every other one
    static_files.init_app(app)  # WhiteNoise in front of /static/, hashed names in url_for

    from webapp import hosts, ids

    hosts.init_app(app)
    ids.init_app(app)
    _bind_extensions(app)
    _register_blueprints(app)

    from webapp import cli

    cli.init_app(app)
    from webapp import jobs, tasks  # noqa: F401 (tasks: every task registered with the queue)

    jobs.init_app(app)

    return app


def _bind_extensions(app: Flask) -> None:
    from webapp import db, errors, htmx, rate_limits
    from webapp.auth import sessions
    from webapp.auth.flows import unauthorized
    from webapp.auth.store.users import get_user
    from webapp.extensions import csrf, login_manager
    from webapp.extensions import htmx as htmx_ext
    from webapp.headers import csp_nonce, set_security_headers

    db.init_app(app)
    app.session_interface = sessions.ServerSessionInterface()
    csrf.init_app(app)
    htmx_ext.init_app(app)
    rate_limits.init_app(app)  # Flask-Limiter, on Redis when REDIS_URL is set
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Войдите, чтобы продолжить."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the server-side session row is the protection

    login_manager.unauthorized_handler(unauthorized)

    @login_manager.user_loader
    def load_user(user_id):
        user = sessions.session_user(user_id) or get_user(db.get_db(), user_id)
        return user if user and user.is_active else None

    app.after_request(set_security_headers)
    app.after_request(htmx.add_vary)
    app.after_request(htmx.flashes_out_of_band)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.add_extension("jinja2.ext.do")
    errors.init_app(app)

    from webapp import template_helpers

    template_helpers.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from webapp import redirects
    from webapp.account.views import bp as account_bp
    from webapp.admin.views import bp as admin_bp
    from webapp.applications import (  # noqa: F401  (routes on applications_bp)
        report_views,
        sign_views,
        wizard_views,
    )
    from webapp.applications.views import bp as applications_bp
    from webapp.auth import gate, passkey_views, register_views  # noqa: F401  (on auth_bp)
    from webapp.auth.views import bp as auth_bp
    from webapp.check.views import bp as check_bp
    from webapp.documents import file_views, links, upload_views  # noqa: F401  (on documents_bp)
    from webapp.documents.views import bp as documents_bp
    from webapp.main.views import bp as main_bp
    from webapp.notifications import push_views  # noqa: F401  (routes on notifications_bp)
    from webapp.notifications.views import bp as notifications_bp
    from webapp.profile import (  # noqa: F401  (routes on profile_bp)
        access_views,
        nmo_views,
        org_views,
        person_views,
    )
    from webapp.profile import links as profile_links
    from webapp.profile.views import bp as profile_bp
    from webapp.pwa.views import bp as pwa_bp
    from webapp.recovery.views import bp as recovery_bp
    from webapp.reset.views import bp as reset_bp
    from webapp.review import action_views  # noqa: F401  (routes on review_bp)
    from webapp.review.views import bp as review_bp
    from webapp.security import code_views as security_codes  # noqa: F401  (on security_bp)
    from webapp.security import passkey_views as security_keys  # noqa: F401  (on security_bp)
    from webapp.security.views import bp as security_bp
    from webapp.staff.views import bp as staff_bp
    from webapp.verify import factor_views  # noqa: F401  (on verify_bp)
    from webapp.verify.views import bp as verify_bp

    for blueprint in (
        main_bp,
        auth_bp,
        verify_bp,
        reset_bp,
        recovery_bp,
        security_bp,
        account_bp,
        profile_bp,
        documents_bp,
        notifications_bp,
        staff_bp,
        admin_bp,
        pwa_bp,
        applications_bp,
        review_bp,
        check_bp,
    ):
        app.register_blueprint(blueprint)
    redirects.init_app(app)
    links.provide(profile_links)
    app.before_request(gate.enforce)
