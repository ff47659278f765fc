"""A real SAML 2.0 identity provider for the tests, built on pysaml2's IdP server (which signs
with the xmlsec1 binary), run as its own process: `python tests/idps/saml_idp.py PORT`.

- GET  /metadata            the IdP's metadata (signing certificate made at start-up)
- GET  /sso/redirect        HTTP-Redirect AuthnRequest -> the IdP's sign-in page
- POST /sso/login           password checked -> an auto-posting form carrying the signed Response
- GET  /slo/redirect        LogoutRequest -> "signed out" page and a LogoutResponse back
- POST /_control (JSON)     the SP's metadata, who signs in (attributes, NameID), the password,
                            the authentication context, and a mode: "normal", "wrong_audience",
                            "expired" or "unsigned".
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

WRONG_SP = "https://wrong-audience.example/sp"
STATE: dict[str, Any] = {
    "sp_metadata": "",
    "password": "idp-password",
    "name_id": "nb-0001",
    "attributes": {},
    "authn_context": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
    "mode": "normal",
}
WORK = Path(tempfile.mkdtemp(prefix="test-saml-idp-"))
BASE = ""


def make_certificate() -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test SAML IdP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = WORK / "idp.key", WORK / "idp.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


KEY, CERT = make_certificate()


def server(lifetime_minutes: int = 15) -> Server:
    metadata = []
    if STATE["sp_metadata"]:
        sp = WORK / "sp.xml"
        sp.write_text(STATE["sp_metadata"])
        wrong = WORK / "wrong-sp.xml"
        wrong.write_text(
            re.sub(r'entityID="[^"]+"', f'entityID="{WRONG_SP}"', STATE["sp_metadata"])
        )
        metadata = [{"src": str(sp)}, {"src": str(wrong)}]
    config = IdPConfig()
    config.load(
        {
            "entityid": f"{BASE}/metadata",
            "service": {
                "idp": {
                    "name": "Test SAML IdP",
                    "endpoints": {
                        "single_sign_on_service": [(f"{BASE}/sso/redirect", BINDING_HTTP_REDIRECT)],
                        "single_logout_service": [(f"{BASE}/slo/redirect", BINDING_HTTP_REDIRECT)],
                    },
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": lifetime_minutes},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "want_authn_requests_signed": False,
                }
            },
            "key_file": str(KEY),
            "cert_file": str(CERT),
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "metadata": {"local": [m["src"] for m in metadata]} if metadata else {},
        }
    )
    return Server(config=config)


def page(title: str, body: str) -> bytes:
    return (
        f"<!doctype html><html lang=en><head><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'


def sign_in_page(saml_request: str, relay_state: str, error: str = "") -> bytes:
    return page(
        "Test SAML IdP sign-in",
        (f'<p role="alert">{html.escape(error)}</p>' if error else "")
        + '<form method="post" action="/sso/login">'
        + hidden("SAMLRequest", saml_request)
        + hidden("RelayState", relay_state)
        + f"<p>Signing in as {html.escape(STATE['name_id'])}</p>"
        + '<label for="password">Password</label><input id="password" name="password" type="password">'
        + '<button type="submit">Sign in at the IdP</button></form>',
    )


def respond(saml_request: str, relay_state: str) -> bytes:
    mode = STATE["mode"]
    idp = server(lifetime_minutes=-30 if mode == "expired" else 15)
    request = idp.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
    args = idp.response_args(request.message, [BINDING_HTTP_POST])
    sp_entity_id = WRONG_SP if mode == "wrong_audience" else args["sp_entity_id"]
    signed = mode != "unsigned"
    response = idp.create_authn_response(
        identity=STATE["attributes"],
        in_response_to=args["in_response_to"],
        destination=args["destination"],
        sp_entity_id=sp_entity_id,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=STATE["name_id"]),
        authn={"class_ref": STATE["authn_context"], "authn_auth": f"{BASE}/metadata"},
        sign_response=signed,
        sign_assertion=signed,
        sign_alg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        digest_alg="http://www.w3.org/2001/04/xmlenc#sha256",
    )
    import base64

    encoded = base64.b64encode(str(response).encode()).decode()
    return page(
        "Returning to the application",
        f'<form method="post" action="{html.escape(args["destination"])}" id="back">'
        + hidden("SAMLResponse", encoded)
        + hidden("RelayState", relay_state)
        + '<button type="submit">Continue to the application</button></form>'
        + '<script>document.getElementById("back").submit()</script>',
    )


def logout(query: dict[str, str]) -> tuple[str, list[tuple[str, str]], bytes]:
    idp = server()
    request = idp.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
    sp = request.message.issuer.text
    response = idp.create_logout_response(request.message, [BINDING_HTTP_REDIRECT])
    info = idp.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(response),
        idp.metadata.single_logout_service(sp, [BINDING_HTTP_REDIRECT], "spsso")[0]["location"],
        query.get("RelayState", ""),
        response=True,
    )
    location = dict(info["headers"])["Location"]
    body = page(
        "Signed out of the test IdP",
        f'<p><a href="{html.escape(location)}">Back to the application</a></p>',
    )
    return "200 OK", [("Content-Type", "text/html")], body


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    global BASE
    BASE = f"http://{environ['HTTP_HOST']}"
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length).decode() if length else ""
    status, headers, body = "200 OK", [("Content-Type", "text/html")], b""
    try:
        if path == "/_control" and method == "POST":
            STATE.update(json.loads(raw or "{}"))
            headers, body = [("Content-Type", "application/json")], b'{"ok": true}'
        elif path == "/metadata":
            headers = [("Content-Type", "application/samlmetadata+xml")]
            body = create_metadata_string(None, config=server().config, sign=False)
        elif path == "/sso/redirect":
            body = sign_in_page(query["SAMLRequest"], query.get("RelayState", ""))
        elif path == "/sso/login" and method == "POST":
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            if form.get("password") != STATE["password"]:
                body = sign_in_page(
                    form["SAMLRequest"], form.get("RelayState", ""), "Wrong password."
                )
            else:
                body = respond(form["SAMLRequest"], form.get("RelayState", ""))
        elif path == "/slo/redirect":
            status, headers, body = logout(query)
        else:
            status, body = "404 Not Found", b"not found"
    except Exception as e:  # the test reads the IdP's own error
        status, headers, body = (
            "500 Internal Server Error",
            [("Content-Type", "text/plain")],
            repr(e).encode(),
        )
    start_response(status, headers)
    return [body if isinstance(body, bytes) else body.encode()]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    port = int(sys.argv[1])
    httpd = make_server("127.0.0.1", port, app, handler_class=QuietHandler)
    print("ready", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
