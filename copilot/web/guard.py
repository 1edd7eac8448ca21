"""Access control in front of `copilot serve` and `copilot ui`: host, origin, API key and body size, checked before
any route runs (docs/security.md explains what each check protects against).

Why an ASGI middleware and not FastAPI dependencies: the same checks must hold for the API's routes and for every
route Gradio adds (uploads, the event queue, static files), and a body limit only helps if it refuses a request
before the framework has read and parsed the body.

The checks, in order:

1. **Host** (DNS rebinding): a server bound to loopback answers only requests whose `Host` names loopback
   (`localhost`, `127.0.0.1`, `[::1]`), so a page on `evil.example` that re-resolves its name to 127.0.0.1 gets 421.
2. **Origin**: a browser request whose `Origin` is not the server's own (same host:port, or a loopback name with the
   server's port, or one listed in `server.allowed_origins`) gets 403, whatever the method; a state-changing request
   without `Origin` is judged by its `Referer` the same way. Requests with neither (curl, scripts, the CLI) pass:
   they do not come from a web page. A cross-site HTML form post needs no CORS preflight, so this is the check that
   stops it.
3. **API key** (when set): `Authorization: Bearer KEY` or `X-API-Key: KEY` on every request, else 401. For the UI a
   browser cannot add headers, so a GET of a page shows a one-field form; posting the key sets an HttpOnly,
   SameSite=Strict cookie holding a keyed hash of the key (never the key itself).
4. **Body size**: a declared `Content-Length` over the route's limit gets 413 before the body is read; a chunked body
   is counted as it arrives and refused with 413 the moment it passes the limit.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from copilot.errors import CopilotError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOGIN_PATH = "/copilot-login"
COOKIE = "copilot_key"
API_KEY_ENV = "COPILOT_API_KEY"


def is_loopback(host: str) -> bool:
    """True for a name or address that only this machine can reach: localhost, 127.0.0.0/8, ::1."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ensure_safe_bind(host: str, api_key: str | None) -> None:
    """Refuse to listen on anything but loopback without an API key (before any model is loaded).

    Raises:
        CopilotError: saying what to do instead.
    """
    if not is_loopback(host) and not api_key:
        raise CopilotError(f"refusing to listen on {host} without an API key: anyone who can reach this machine could "
                           f"read the documents and change the index. Give --api-key KEY (or set {API_KEY_ENV}), "
                           "or listen on 127.0.0.1")


def key_cookie_value(api_key: str) -> str:
    """What the UI's login cookie holds: a keyed hash of the API key, so the key itself is not stored in the browser."""
    return hmac.new(api_key.encode("utf-8"), b"copilot-ui-session", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class BodyLimit:
    """The largest request body a route accepts, and what to tell a client that sends more."""

    max_bytes: int
    what: str  # "a JSON request", "the files of one upload", ...
    setting: str  # the config key that sets it, e.g. "server.max_body_bytes"


@dataclass(frozen=True)
class GuardPolicy:
    """What `RequestGuard` enforces for one server."""

    bind_host: str
    api_key: str | None = None
    allowed_origins: tuple[str, ...] = ()
    body_limit: Callable[[str], BodyLimit] | None = None  # request path -> its limit; None: no limit
    login_form: bool = False  # the UI: offer a key form to browsers instead of a bare 401
    open_paths: tuple[str, ...] = ()  # GET paths that need no key (Gradio's own start-up self-check)


def _host_port(netloc: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit("//" + netloc)
        return (parts.hostname or "", parts.port)
    except ValueError:
        return None


class RequestGuard:
    """ASGI middleware enforcing a `GuardPolicy` on every HTTP and WebSocket request."""

    def __init__(self, app: ASGIApp, policy: GuardPolicy) -> None:
        self.app = app
        self.policy = policy
        self._cookie = key_cookie_value(policy.api_key) if policy.api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method = scope.get("method", "GET")
        refusal = self._host_refusal(headers) or self._origin_refusal(scope, headers, method)
        if refusal is None and self.policy.login_form and self.policy.api_key and scope["path"] == LOGIN_PATH \
                and method == "POST":
            await self._login(receive, send)
            return
        if refusal is None and self.policy.api_key and not self._authorised(headers, scope["path"], method):
            if self.policy.login_form and method == "GET" and "text/html" in headers.get("accept", ""):
                await _send(send, 401, _login_page(bad=False), "text/html; charset=utf-8")
                return
            refusal = (401, "this server needs an API key: send the header `Authorization: Bearer KEY` or "
                            "`X-API-Key: KEY`")
        if refusal is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": refusal[1][:120]})
                return
            await _send_json(send, *refusal)
            return
        if scope["type"] == "http" and self.policy.body_limit is not None:
            await self._limited(scope, receive, send, headers, self.policy.body_limit(scope["path"]))
            return
        await self.app(scope, receive, send)

    # --- the checks -------------------------------------------------------------------------------------------

    def _host_refusal(self, headers: Headers) -> tuple[int, str] | None:
        if not is_loopback(self.policy.bind_host):
            return None  # reachable from the network: the API key guards it (required there)
        parsed = _host_port(headers.get("host", ""))
        if parsed is None or not is_loopback(parsed[0]):
            return 421, ("this server answers on localhost only (the request's Host names another machine); "
                         "open it as http://127.0.0.1:PORT")
        return None

    def _origin_allowed(self, origin: str, scope: Scope, headers: Headers) -> bool:
        origin = origin.strip().rstrip("/")
        if origin in self.policy.allowed_origins:
            return True
        try:
            parts = urlsplit(origin)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False  # "null" (a sandboxed frame, a file:// page) and anything odd
        if parts.netloc.lower() == headers.get("host", "").lower():
            return True  # same origin; the Host itself was checked above
        server = scope.get("server")
        return is_loopback(parts.hostname) and server is not None and port == server[1]

    def _origin_refusal(self, scope: Scope, headers: Headers, method: str) -> tuple[int, str] | None:
        origin = headers.get("origin")
        if origin is None and method in UNSAFE_METHODS and headers.get("referer"):
            try:
                parts = urlsplit(headers["referer"])
                origin = f"{parts.scheme}://{parts.netloc}"
            except ValueError:
                origin = "null"
        if origin is None or self._origin_allowed(origin, scope, headers):
            return None
        return 403, (f"cross-origin request refused: a page from {origin[:100]} may not use this server. Open the "
                     "copilot's own page, call it without a browser, or list the origin in server.allowed_origins")

    def _authorised(self, headers: Headers, path: str, method: str) -> bool:
        key = self.policy.api_key or ""
        if method == "GET" and path in self.policy.open_paths:
            return True
        given = headers.get("x-api-key")
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if given is None and scheme.lower() == "bearer":
            given = token.strip()
        if given is not None and hmac.compare_digest(given.encode("utf-8"), key.encode("utf-8")):
            return True
        cookie = _cookies(headers.get("cookie", "")).get(COOKIE)
        return bool(cookie and self._cookie and hmac.compare_digest(cookie, self._cookie))

    async def _login(self, receive: Receive, send: Send) -> None:
        body = b""
        while len(body) <= 4096:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        given = parse_qs(body[:4096].decode("utf-8", "replace")).get("key", [""])[0]
        if not hmac.compare_digest(given.encode("utf-8"), (self.policy.api_key or "").encode("utf-8")):
            await _send(send, 401, _login_page(bad=True), "text/html; charset=utf-8")
            return
        cookie = f"{COOKIE}={self._cookie}; HttpOnly; SameSite=Strict; Path=/"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", b"/"), (b"set-cookie", cookie.encode("latin-1")),
                                (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    async def _limited(self, scope: Scope, receive: Receive, send: Send, headers: Headers, limit: BodyLimit) -> None:
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit.max_bytes:
            await _send_json(send, 413, _too_large(limit, int(declared)), close=True)
            return
        received = 0
        over = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    over = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:
                return  # the app's reaction to the cut-off body is replaced by the 413 below
            started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _send_json(send, 413, _too_large(limit, received), close=True)


class _BodyTooLarge(Exception):
    """Raised into the app when a streamed body passes its limit."""


def _too_large(limit: BodyLimit, size: int) -> str:
    return (f"request too large: {_size(size)}{'+' if size <= limit.max_bytes else ''} where {limit.what} may be at "
            f"most {_size(limit.max_bytes)} (set by {limit.setting})")


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} kB"
    return f"{n} bytes"


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for item in header.split(";"):
        name, sep, value = item.strip().partition("=")
        if sep:
            out[name] = value
    return out


async def _send_json(send: Send, status: int, detail: str, close: bool = False) -> None:
    extra: list[tuple[bytes, bytes]] = [(b"connection", b"close")] if close else []
    if status == 401:
        extra.append((b"www-authenticate", b"Bearer"))
    await _send(send, status, json.dumps({"detail": detail}), "application/json", extra)


async def _send(send: Send, status: int, text: str, content_type: str,
                extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = text.encode("utf-8")
    headers: list[tuple[bytes, bytes]] = [(b"content-type", content_type.encode("latin-1")),
                                          (b"content-length", str(len(body)).encode("latin-1")), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _login_page(bad: bool) -> str:
    note = '<p style="color:#b00">That key is not right.</p>' if bad else ""
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Maintenance copilot</title>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
            "<body style='font:18px sans-serif;max-width:28em;margin:3em auto'><h2>Maintenance copilot</h2>"
            f"<p>This copilot needs its access key (the <code>--api-key</code> it was started with).</p>{note}"
            f"<form method='post' action='{LOGIN_PATH}'><input name='key' type='password' autofocus "
            "style='font-size:18px;width:100%;padding:.4em'><p><button style='font-size:18px;padding:.4em 1.2em'>"
            "Open</button></p></form></body></html>")


def guard_middleware(policy: GuardPolicy) -> Any:
    """`starlette.middleware.Middleware` for `FastAPI(middleware=[...])` (how Gradio's `app_kwargs` takes it)."""
    from starlette.middleware import Middleware

    return Middleware(RequestGuard, policy=policy)
