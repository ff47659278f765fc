"""A small but real OpenID Connect provider for the tests, run as its own process:
`python tests/idps/oidc_provider.py PORT`. Discovery, an authorization endpoint with a sign-in
page, the token endpoint (RS256 ID tokens signed with authlib's JOSE), userinfo, JWKS and
end-session. Tests configure who signs in and how through POST /_control (JSON):

    {"client_id": ..., "client_secret": ..., "password": ...,
     "claims": {"sub": ..., "email": ..., ...}, "amr": [...], "acr": "...",
     "audience": "<override aud>", "expired": true}
"""

from __future__ import annotations

import html
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from authlib.jose import JsonWebKey, jwt

KEY = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "test-key"})
STATE: dict[str, Any] = {
    "client_id": "mentorship",
    "client_secret": "s3cret",
    "password": "idp-password",
    "claims": {},
    "amr": ["pwd"],
    "acr": "",
    "audience": "",
    "expired": False,
}
CODES: dict[str, dict[str, Any]] = {}
TOKENS: dict[str, dict[str, Any]] = {}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server_version = "TestOIDC/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def base(self) -> str:
        return f"http://{self.headers['Host']}"

    def _send(
        self,
        status: int,
        body: str | bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, obj: Any, status: int = 200) -> None:
        self._send(status, json.dumps(obj))

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(raw or "{}")
        return {k: v[0] for k, v in parse_qs(raw).items()}

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            return self._json(
                {
                    "issuer": self.base,
                    "authorization_endpoint": f"{self.base}/authorize",
                    "token_endpoint": f"{self.base}/token",
                    "userinfo_endpoint": f"{self.base}/userinfo",
                    "jwks_uri": f"{self.base}/jwks",
                    "end_session_endpoint": f"{self.base}/logout",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_post"],
                    "code_challenge_methods_supported": ["S256"],
                }
            )
        if url.path == "/jwks":
            return self._json({"keys": [KEY.as_dict(is_private=False)]})
        if url.path == "/authorize":
            if query.get("client_id") != STATE["client_id"]:
                return self._send(400, "unknown client", "text/plain")
            return self._login_page(query, error="")
        if url.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            grant = TOKENS.get(token)
            if grant is None:
                return self._json({"error": "invalid_token"}, 401)
            return self._json(grant["claims"])
        if url.path == "/logout":
            back = query.get("post_logout_redirect_uri", "")
            body = "<!doctype html><html lang=en><title>Signed out</title><h1>Signed out of the test IdP</h1>"
            if back:
                body += f'<p><a href="{html.escape(back)}">Back to the application</a></p>'
            return self._send(200, body, "text/html")
        return self._send(404, "not found", "text/plain")

    def _login_page(self, query: dict[str, str], error: str) -> None:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        email = html.escape(str(STATE["claims"].get("email", "")))
        body = (
            "<!doctype html><html lang=en><head><title>Test IdP sign-in</title></head><body>"
            "<h1>Test IdP (OpenID Connect)</h1>"
            + (f'<p role="alert">{html.escape(error)}</p>' if error else "")
            + f'<form method="post" action="/authorize">{hidden}'
            f"<p>Signing in as {email}</p>"
            '<label for="password">Password</label>'
            '<input id="password" name="password" type="password">'
            '<button type="submit">Sign in at the IdP</button></form></body></html>'
        )
        self._send(200, body, "text/html")

    def do_POST(self) -> None:
        url = urlparse(self.path)
        form = self._form()
        if url.path == "/_control":
            with LOCK:
                STATE.update(form)
            return self._json({"ok": True})
        if url.path == "/authorize":
            password = form.pop("password", "")
            if password != STATE["password"]:
                return self._login_page(form, error="Wrong password.")
            code = secrets.token_urlsafe(16)
            CODES[code] = {"nonce": form.get("nonce"), "redirect_uri": form.get("redirect_uri")}
            target = (
                form["redirect_uri"]
                + "?"
                + urlencode({"code": code, "state": form.get("state", "")})
            )
            return self._send(302, "", "text/plain", {"Location": target})
        if url.path == "/token":
            if (
                form.get("client_id") != STATE["client_id"]
                or form.get("client_secret") != STATE["client_secret"]
            ):
                return self._json({"error": "invalid_client"}, 401)
            grant = CODES.pop(form.get("code", ""), None)
            if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                return self._json({"error": "invalid_grant"}, 400)
            return self._json(self._tokens(grant))
        return self._send(404, "not found", "text/plain")

    def _tokens(self, grant: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        if STATE["expired"]:
            now -= 3600
        claims = dict(STATE["claims"])
        payload = {
            **claims,
            "iss": self.base,
            "aud": STATE["audience"] or STATE["client_id"],
            "iat": now,
            "exp": now + 300,
            "amr": STATE["amr"],
        }
        if STATE["acr"]:
            payload["acr"] = STATE["acr"]
        if grant.get("nonce"):
            payload["nonce"] = grant["nonce"]
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, payload, KEY).decode()
        access = secrets.token_urlsafe(24)
        TOKENS[access] = {"claims": claims}
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }


def main() -> None:
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
