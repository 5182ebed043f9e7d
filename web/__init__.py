"""Flask blueprints: HTML pages (Arabic first, right-to-left) and the JSON API under /api/v1.

Views parse input, call one use case, render. Nothing here is imported by other packages.
"""

from __future__ import annotations

from flask import Flask


def init_web(app: Flask) -> None:
    """Wire extensions, i18n, the authorisation layer, error handlers and every blueprint."""
    from . import bounds, compress, errors, i18n, nav, ops, security, ui
    from .extensions import csrf, init_limiter, login_manager

    bounds.init_app(app)  # before any route is registered and before any other hook
    ops.init_app(app)  # its request hooks go first: they see every request and final response
    i18n.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    init_limiter(app)  # after the caller is known: limits count a signed-in person, not an address
    errors.init_app(app)
    nav.init_app(app)
    ui.init_app(app)
    compress.init_app(app)
    register_blueprints(app)


def register_blueprints(app: Flask) -> None:
    """Every blueprint of the app; the API blueprint gathers its resource modules itself."""
    from .accounts import bp as accounts_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .directory import bp as directory_bp
    from .exchange import bp as exchange_bp
    from .focal import bp as focal_bp
    from .forum import bp as forum_bp
    from .gaps import bp as gaps_bp
    from .jobs import bp as jobs_bp
    from .library import bp as library_bp
    from .main import bp as main_bp
    from .notifications import bp as notifications_bp
    from .partners import bp as partners_bp
    from .referrals import bp as referrals_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(gaps_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(library_bp)
    app.register_blueprint(forum_bp)
    app.register_blueprint(directory_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(exchange_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(focal_bp)
    app.register_blueprint(jobs_bp)
