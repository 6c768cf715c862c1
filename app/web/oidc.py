"""Single sign-on with OpenID Connect (Authlib): the authorization code flow with PKCE (S256); Authlib
keeps state, nonce and code verifier in the (server-side) session and verifies the ID token's
signature against the provider's keys, its issuer, audience, expiry and nonce. The person is the active
local user named by the OIDC_USERNAME_CLAIM (app.services.users.user_for_sso). Logging out also ends
the session at the provider (RP-initiated logout) when the provider offers it.

Switched on when OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are set."""
from __future__ import annotations

import logging

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from requests import RequestException

from app.services.errors import DomainError
from app.services.users import user_for_sso
from app.web.common import safe_next, start_session

bp = Blueprint("oidc", __name__, url_prefix="/oidc")
log = logging.getLogger(__name__)
FAILED = "Inloggningen via kommunens inloggningstjänst misslyckades. Försök igen; kvarstår felet, kontakta " \
         "systemförvaltaren."


def configure(app) -> None:
    """Register the provider when the app is configured for it (create_app calls this)."""
    config = app.config
    if not (config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID") and config.get("OIDC_CLIENT_SECRET")):
        return
    oauth = OAuth(app)
    issuer = str(config["OIDC_ISSUER"]).rstrip("/")
    oauth.register(
        "kommun", client_id=config["OIDC_CLIENT_ID"], client_secret=config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": config["OIDC_SCOPES"], "code_challenge_method": "S256", "timeout": 10},
    )
    app.extensions["kf_oidc"] = oauth


def _client():
    oauth = current_app.extensions.get("kf_oidc")
    if oauth is None:
        abort(404)
    return oauth.kommun


@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.mine"))
    session["oidc_next"] = safe_next(request.args.get("next"))
    try:
        return _client().authorize_redirect(url_for("oidc.callback", _external=True))
    except (RequestException, AuthlibBaseError, ValueError, KeyError):
        log.exception("OpenID Connect: the provider could not be reached")
        return _failed(FAILED, 503)


@bp.get("/callback")
def callback():
    try:
        token = _client().authorize_access_token()
    except (AuthlibBaseError, RequestException, ValueError, KeyError) as err:
        # A wrong state, a code used twice, a token whose signature, issuer, audience, expiry or nonce
        # does not hold: nobody is signed in.
        log.warning("OpenID Connect: sign-in refused: %s", err)
        return _failed(FAILED, 400)
    claims = token.get("userinfo") or {}
    try:
        user = user_for_sso(dict(claims))
    except DomainError as err:
        return _failed(err.message, err.status)
    target = session.pop("oidc_next", None)
    start_session(user, via="oidc", extra={"oidc_id_token": token.get("id_token"), "oidc_sid": claims.get("sid")})
    return redirect(target or url_for("inbox.mine"))


def _failed(message: str, status: int):
    return render_template("error.html", status=status, title="Inloggningen misslyckades", message=message), status


def provider_logout_url(id_token: str | None) -> str | None:
    """Where to send the browser to end the session at the provider too (RP-initiated logout), or None."""
    oauth = current_app.extensions.get("kf_oidc")
    if oauth is None or not id_token:
        return None
    try:
        created = oauth.kommun.create_logout_url(post_logout_redirect_uri=url_for("auth.login", _external=True),
                                                 id_token_hint=id_token)
    except (RuntimeError, RequestException, AuthlibBaseError):
        return None
    return created["url"]
