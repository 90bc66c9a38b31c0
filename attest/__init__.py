"""attest: memos (tjänsteutlåtanden) drafted, attested in order with personal signatures,
and verifiable by anyone years later."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from flask import Flask

# Nothing here imports Flask at module level: the offline verifier (attest.verify) imports
# this package and must start fast without the web app.


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The application factory."""
    from flask import Flask

    from attest import paths

    app = Flask(
        __name__,
        instance_path=os.environ.get("ATTEST_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=str(paths.templates_dir()),
    )
    from attest import config

    config.load(app, test_config)
    from attest.files import private_dir

    private_dir(app.instance_path)

    if app.config["TRUSTED_PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["TRUSTED_PROXY_COUNT"]
        proxied = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
        app.wsgi_app = proxied  # type: ignore[method-assign]

    from attest import clock, db, security, web

    app.extensions["attest.clock"] = (test_config or {}).get("CLOCK") or clock.SystemClock()
    db.init_app(app)
    web.init_app(app)
    security.init_app(app)  # before the other extensions' hooks: sessions expire first
    from attest.auth import stash

    stash.init_app(app)  # a form posted after its session ended is kept, before CSRF refuses it

    from flask_wtf.csrf import CSRFProtect

    CSRFProtect(app)

    from attest.attestation import views as pki_views

    pki_views.init_app(app)

    from attest.auth.views import bp as auth_bp
    from attest.auth.views import login_manager
    from attest.memos.views import bp as memos_bp
    from attest.serving import logs
    from attest.serving.health import bp as health_bp
    from attest.start.views import bp as start_bp
    from attest.users.views import bp as users_bp
    from attest.workflow.views import bp as workflow_bp

    login_manager.init_app(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(start_bp)
    app.register_blueprint(memos_bp)
    from attest.memos import pdfviewer

    pdfviewer.init_app(app)  # /pdfjs: the PDF viewer's own files
    app.register_blueprint(health_bp)
    logs.init_app(app)
    app.register_blueprint(workflow_bp)
    app.register_blueprint(users_bp)
    from attest.workflow.admin_views import bp as memo_types_bp

    app.register_blueprint(memo_types_bp)  # /admin/memotyper
    from attest.orgs.views import bp as org_settings_bp

    app.register_blueprint(org_settings_bp)  # /admin/organisation
    from attest.audit.views import bp as audit_log_bp

    app.register_blueprint(audit_log_bp)  # /admin/granskningslogg
    from attest.verify.views import bp as verify_bp  # only here: attest.verify is Flask-free

    app.register_blueprint(verify_bp)
    from attest.archive.views import bp as archive_bp

    app.register_blueprint(archive_bp)
    from attest.saml import views as saml_views
    from attest.sso import oidc
    from attest.sso.views import bp as sso_bp

    oidc.init_app(app)  # its routes are on sso_bp: before registering it
    saml_views.init_app(app)  # /saml: SP metadata and the ACS; its login is on sso_bp
    app.register_blueprint(sso_bp)  # /sso: identity providers, step-up, signing PIN
    from attest.signservice import views as signservice_views

    signservice_views.init_app(app)  # /underskrift: the Sweden Connect signature service

    from attest import i18n, templating
    from attest.workflow import notifications

    i18n.init_app(app)  # Flask-Babel: Swedish, or English when the person chooses it
    templating.init_app(app)
    notifications.init_app(app)

    from attest import api
    from attest.api.admin_views import bp as api_admin_bp
    from attest.webhooks import events as webhook_events

    api.init_app(app)  # /api/v1: the JSON API and its OpenAPI document
    app.register_blueprint(api_admin_bp)
    from attest.admin.views import bp as admin_bp

    app.register_blueprint(admin_bp)
    webhook_events.init_app(app)

    from attest.workflow.hooks import warn_if_not_signing

    warn_if_not_signing(app)

    from attest.cli import register_flask_commands

    register_flask_commands(app)
    return app
