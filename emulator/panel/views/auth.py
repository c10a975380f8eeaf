"""Log in (a Keystone token from the identity services), switch user, log out."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from emulator.core import errors
from emulator.core.http.request_scope import config, unit_of_work
from emulator.identity.domain.auth_request import parse_auth_request
from emulator.identity.domain.entities import DEFAULT_DOMAIN_ID
from emulator.identity.services import accounts
from emulator.identity.services import auth as identity_auth
from emulator.panel import session as panel_session
from emulator.panel.blueprint import bp
from emulator.panel.views.common import back, local_next, user

NO_PROJECT = (
    "This user has no role on a default project, so Keystone gives it no project-scoped "
    "token; the panel needs one."
)


#: The app's cache of (user id, password hash) -> whether the password is ``<name>-pass``:
#: checking a hash costs milliseconds, and the switcher is on every page.
PUBLISHED_CACHE = "emulator.panel.published_passwords"


def switchable_accounts() -> list[tuple[str, str]]:
    """(user, project) of the accounts whose password is the published ``<name>-pass``
    (the demo and scenario accounts): anyone could log in to them through the API."""
    db = unit_of_work().db
    published: dict[tuple[str, str], bool] = current_app.extensions.setdefault(PUBLISHED_CACHE, {})
    found = []
    for account in accounts.list_users(db):
        if account.default_project_id is None:
            continue
        project = accounts.get_project(db, account.default_project_id)
        if project is None:
            continue
        key = (account.id, accounts.password_hash_of(db, account.id))
        if key not in published:
            if len(published) > 10_000:
                published.clear()
            published[key] = accounts.password_matches(key[1], f"{account.name}-pass")
        if published[key]:
            found.append((account.name, project.name))
    return found


def _issue(name: str, password: str) -> str:
    """``POST /v3/auth/tokens`` with a password, scoped as Keystone scopes it by default."""
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": name,
                        "domain": {"id": DEFAULT_DOMAIN_ID},
                        "password": password,
                    }
                },
            }
        }
    }
    issued = identity_auth.issue_token(
        unit_of_work().db, parse_auth_request(body), ttl_seconds=config().token_ttl_seconds
    )
    if issued.record.project_id is None:
        raise errors.Unauthorized(NO_PROJECT)
    return issued.token_id


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str:
    panel_session.csrf_token()
    if request.method == "POST":
        name = request.form.get("username", "")
        password = request.form.get("password", "")
        try:
            token = _issue(name, password)
        except errors.EmulatorError as exc:
            flash(f"Log in refused ({exc.status} {exc.title}): {exc.message}", "error")
        else:
            panel_session.log_in(token)
            flash(f"Logged in as {name}.", "ok")
            target = local_next(request.form.get("next")) or url_for("panel.images")
            return redirect(target, code=303)
    elif panel_session.current_user() is not None:
        return redirect(url_for("panel.images"))
    elif g.get("session_ended"):
        flash(panel_session.SESSION_ENDED, "error")
    return render_template(
        "panel/login.html",
        switchable=switchable_accounts(),
        next=local_next(request.args.get("next")) or "",
    )


@bp.post("/logout")
def logout() -> BaseResponse:
    current = user()
    token = panel_session.log_out()
    if token:
        try:
            identity_auth.revoke_token(unit_of_work().db, current.context, token)
        except errors.EmulatorError:
            pass  # already gone: logging out is done either way
    flash("Logged out.", "ok")
    return back("panel.login")


@bp.get("/")
def home() -> BaseResponse:
    return redirect(url_for("panel.images"))


@bp.post("/switch")
def switch() -> BaseResponse:
    """The quick switcher: a password login with the account's published ``<name>-pass``
    (so it works for exactly the accounts anyone could log in to with the API)."""
    name = request.form.get("username", "")
    try:
        token = _issue(name, f"{name}-pass")
    except errors.EmulatorError as exc:
        flash(f"Switch refused ({exc.status} {exc.title}): {exc.message}", "error")
        return back("panel.login")
    previous = panel_session.current_user()
    old_token = panel_session.log_out()
    if previous is not None and old_token:
        try:
            identity_auth.revoke_token(unit_of_work().db, previous.context, old_token)
        except errors.EmulatorError:
            pass
    panel_session.log_in(token)
    flash(f"Switched to {name}.", "ok")
    return back("panel.images")
