"""Single sign-on with OpenID Connect against a real provider: the npm package oidc-provider run with
node on loopback (tests/oidc/provider.mjs; `npm ci` installs it). The browser's side of the flow is
played with `requests` against the provider and Flask's test client against the application."""
from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from helpers import csrf_token
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, User

PROVIDER = Path(__file__).resolve().parent / "oidc" / "provider.mjs"
NODE_MODULE = Path(__file__).resolve().parent.parent / "node_modules" / "oidc-provider"
ACCOUNTS = {
    "anna": {"preferred_username": "anna", "name": "Anna Andersson", "groups": ["kf-lasare-hg"]},
    "okand": {"preferred_username": "okand", "name": "Okänd Person"},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def provider():
    if shutil.which("node") is None or not NODE_MODULE.exists():
        pytest.skip("node or the npm package oidc-provider is missing (npm ci installs it)")
    port = _free_port()
    config = {"client_id": "kvalitetsflode", "client_secret": "hemligt-klientlosen",
              "redirect_uri": "http://localhost/oidc/callback", "post_logout_redirect_uri": "http://localhost/login",
              "accounts": ACCOUNTS}
    process = subprocess.Popen(["node", str(PROVIDER), str(port), json.dumps(config)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("ready"):
            pytest.fail(f"the OpenID provider did not start: {line!r}")
        yield {**config, "issuer": line.split()[1]}
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def app_config(app_config, provider):
    return {**app_config, "OIDC_ISSUER": provider["issuer"], "OIDC_CLIENT_ID": provider["client_id"],
            "OIDC_CLIENT_SECRET": provider["client_secret"], "OIDC_SCOPES": "openid profile email groups",
            "OIDC_GROUP_ROLES": {"kf-lasare-hg": ["lasare:HG"]}}


def _sign_in_at_provider(browser: requests.Session, url: str, login: str) -> str:
    """Follow the provider's pages as a browser would, signing in as `login`; returns our callback URL."""
    for _ in range(10):
        response = browser.get(url, allow_redirects=False) if url.startswith("http") else None
        assert response is not None
        if response.status_code in (302, 303):
            url = urljoin(response.url, response.headers["Location"])
            if url.startswith("http://localhost/"):
                return url
            continue
        form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
        assert form, response.text[:500]
        action = urljoin(response.url, form.group(1))
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', response.text))
        if 'name="login"' in response.text:
            fields.update({"login": login, "password": "vilket-som-helst"})
        if "/session/end" in action:
            fields["logout"] = "yes"  # "Yes, sign me out" on the provider's confirmation page
        posted = browser.post(action, data=fields, allow_redirects=False)
        assert posted.status_code in (302, 303), (posted.status_code, posted.text[:300])
        url = urljoin(posted.url, posted.headers["Location"])
        if url.startswith("http://localhost/"):
            return url
    raise AssertionError("the provider never sent the browser back")


def _oidc_login(org, login: str, browser: requests.Session | None = None):
    client, browser = org.test_client(), browser or requests.Session()
    start = client.get("/oidc/login?next=/mina-rapporter")
    assert start.status_code == 302
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"] and query["state"]
    assert query["nonce"] and query["response_type"] == ["code"]
    back = _sign_in_at_provider(browser, start.headers["Location"], login)
    parts = urlsplit(back)
    return client, browser, client.get(f"{parts.path}?{parts.query}"), parts


def test_sign_in_through_the_provider_with_pkce(org, user):
    client, _, response, _ = _oidc_login(org, "anna")
    assert response.status_code == 302 and response.headers["Location"] == "/mina-rapporter"
    assert "Anna Andersson" in client.get("/mina-rapporter").get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login"))
    assert event.actor_id == user("anna").id and event.details == {"via": "oidc"}
    db.session.expire_all()
    assert sorted(r.role for r in user("anna").roles) == ["lasare"]  # from the groups claim


def test_a_replayed_or_forged_callback_signs_no_one_in(org):
    client, _, response, parts = _oidc_login(org, "anna")
    assert response.status_code == 302
    stranger = org.test_client()
    replay = stranger.get(f"{parts.path}?{parts.query}")  # another browser: no state of its own
    assert replay.status_code == 400 and "misslyckades" in replay.get_data(as_text=True)
    assert stranger.get("/mina-rapporter").status_code == 302
    forged = org.test_client()
    forged.get("/oidc/login")
    assert forged.get("/oidc/callback?code=falsk&state=falsk").status_code == 400


def test_someone_without_an_account_is_refused_in_swedish(org):
    client, _, response, _ = _oidc_login(org, "okand")
    assert response.status_code == 403 and "inget aktivt konto" in response.get_data(as_text=True)
    assert client.get("/mina-rapporter").status_code == 302
    assert db.session.scalar(select(User).where(User.username == "okand")) is None


def test_logout_ends_the_session_at_the_provider_too(org):
    client, browser, response, _ = _oidc_login(org, "anna")
    page = client.get("/")
    out = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert out.status_code == 302 and "/session/end" in out.headers["Location"]
    assert "id_token_hint" in parse_qs(urlsplit(out.headers["Location"]).query)
    back = _sign_in_at_provider(browser, out.headers["Location"], "anna")
    assert urlsplit(back).path == "/login"
    assert client.get("/mina-rapporter").status_code == 302
    # The provider's session is over: signing in again asks for the login once more.
    start = org.test_client().get("/oidc/login")
    first = browser.get(start.headers["Location"], allow_redirects=True)
    assert 'name="login"' in first.text


def test_password_login_can_be_switched_off(org):
    org.config["PASSWORD_LOGIN"] = False
    client = org.test_client()
    page = client.get("/login")
    html = page.get_data(as_text=True)
    assert "Logga in med kommunens inloggning" in html and 'name="password"' not in html
    org.config["WTF_CSRF_ENABLED"] = False  # (the page has no form to take a token from) only the switch refuses
    refused = client.post("/login", data={"username": "anna", "password": "kvalitet2026"})
    assert refused.status_code == 403 and "avstängd" in refused.get_data(as_text=True)
    assert client.get("/mina-rapporter").status_code == 302
