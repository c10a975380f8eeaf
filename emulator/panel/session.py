"""Who is logged in to the panel, and the checks every panel request goes through.

The session is Flask's signed cookie (``itsdangerous``, which Flask already uses): HttpOnly,
SameSite=Lax, scoped to ``/panel``. It holds the Keystone token the identity services issued
at login and a CSRF token. The signing secret is made once per data dir (``panel-secret``,
mode 0600), so sessions survive a restart and two data dirs never accept each other's cookies.

CSRF: a random token per session, compared with ``secrets.compare_digest`` against the
``csrf_token`` field of every form (or the ``X-CSRF-Token`` header of the upload script).
Flask-WTF's ``CSRFProtect`` would do the same but applies to every POST of the app (the JSON
APIs included, each to be exempted) and brings WTForms along for one comparison.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Request, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from emulator.core import errors
from emulator.core.context import RequestContext
from emulator.core.http.request_scope import set_context, unit_of_work
from emulator.identity.services import accounts, tokens

SECRET_FILE = "panel-secret"
COOKIE_NAME = "glance_emulator_panel"
PANEL_PATH = "/panel"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_ENDED = "Your session has ended (its token expired or was revoked). Log in again."


def _secret(data_dir: Path) -> bytes:
    path = data_dir / SECRET_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret


class PanelSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, opened for the panel's pages only.

    The cookie is scoped to ``/panel``, so no other request carries one; Flask would still
    build a signing serializer for each of them (about a tenth of a small API request's
    time). Elsewhere the session is Flask's null session: reading it finds nothing,
    writing to it is an error, and nothing is saved."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.path.startswith(PANEL_PATH):
            return self.make_null_session(app)
        return super().open_session(app, request)


def configure(app: Flask) -> None:
    app.session_interface = PanelSessions()
    app.secret_key = _secret(Path(app.config["EMULATOR"].data_dir))
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH=PANEL_PATH,
    )


class CsrfRefused(errors.BadRequest):
    """A form that did not come from a panel page of this session."""


def csrf_token() -> str:
    token: str | None = session.get("csrf")
    if token is None:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError).
    sent_bytes = str(sent).encode("utf-8", "surrogatepass")
    if not expected or not secrets.compare_digest(sent_bytes, str(expected).encode()):
        raise CsrfRefused(
            "This form was refused: it carries no valid CSRF token (reload the page and "
            "submit it again). Nothing was changed."
        )


@dataclass(frozen=True)
class PanelUser:
    user_id: str
    user_name: str
    project_id: str | None
    project_name: str | None
    context: RequestContext

    @property
    def is_admin(self) -> bool:
        return self.context.is_admin


def log_in(token: str) -> None:
    """A new session for a new user: nothing of the previous one is kept (no fixation)."""
    session.clear()
    session["token"] = token
    session["csrf"] = secrets.token_urlsafe(32)


def log_out() -> str | None:
    token: str | None = session.pop("token", None)
    return token


def current_user() -> PanelUser | None:
    """The logged-in user (and its context made the request's), or None.

    None also when a token was kept but no longer validates (expired, revoked, its user or
    project gone): ``g.session_ended`` then says so, and the token leaves the cookie."""
    if "panel_user" in g:
        found: PanelUser | None = g.panel_user
        return found
    g.panel_user = None
    g.session_ended = False
    token = session.get("token")
    if not token:
        return None
    db = unit_of_work().db
    context = tokens.context_for_token(db, token)
    user = accounts.get_user(db, context.user_id) if context and context.user_id else None
    if context is None or user is None:
        session.pop("token", None)
        g.session_ended = True
        return None
    project = accounts.get_project(db, context.project_id) if context.project_id else None
    set_context(context)
    g.panel_user = PanelUser(
        user.id, user.name, context.project_id, project.name if project else None, context
    )
    return g.panel_user  # type: ignore[no-any-return]
