"""What every panel view shares: the login gate, CSRF, rendering, messages, headers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from emulator.core import errors
from emulator.panel import session as panel_session
from emulator.panel.blueprint import bp
from emulator.panel.session import PanelUser

View = TypeVar("View", bound=Callable[..., Any])

#: The panel serves its own files only: no inline script or style, nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@bp.before_request
def _gate() -> BaseResponse | None:
    """Every POST carries this session's CSRF token; every page but the login needs a user."""
    if request.method == "POST":
        panel_session.check_csrf()
    if request.endpoint in ("panel.login", "panel.switch", "panel.static"):
        return None
    if panel_session.current_user() is None:
        if g.get("session_ended"):
            flash(panel_session.SESSION_ENDED, "error")
        # Back to the page asked for after logging in; a form's target is no page.
        wanted = local_next(request.full_path) if request.method == "GET" else None
        return redirect(url_for("panel.login", next=wanted))
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "panel.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(panel_session.CsrfRefused)
def _csrf_refused(exc: panel_session.CsrfRefused) -> tuple[str, int]:
    return render_template("panel/refused.html", message=exc.message), 400


@bp.errorhandler(errors.EmulatorError)
def _refused(exc: errors.EmulatorError) -> tuple[str, int]:
    """A refusal on a page (not a form): the API's own words, with its status."""
    return render_template("panel/refused.html", message=exc.message), exc.status


def local_next(target: str | None) -> str | None:
    """Only a path of this panel is a place to go back to (no open redirect)."""
    if not target or not target.startswith("/panel/") or target.startswith("//"):
        return None
    return target.rstrip("?")


def user() -> PanelUser:
    found = panel_session.current_user()
    assert found is not None  # the gate let only logged-in users through
    return found


def admin_required(view: View) -> View:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not user().is_admin:
            raise errors.Forbidden("The trainer view is for administrators only.")
        return view(*args, **kwargs)

    return cast(View, wrapped)


def attempt(action: Callable[[], object], success: str) -> bool:
    """Run a use case; flash ``success``, or the API's refusal and its status."""
    try:
        action()
    except errors.EmulatorError as exc:
        flash(f"Refused ({exc.status} {exc.title}): {exc.message}", "error")
        return False
    flash(success, "ok")
    return True


def back(endpoint: str, **values: Any) -> BaseResponse:
    """POST, then redirect, then GET: a reload never sends a form twice."""
    return redirect(url_for(endpoint, **values), code=303)


@bp.app_template_global("panel_csrf_token")
def _template_csrf_token() -> str:
    return panel_session.csrf_token()


@bp.context_processor
def _page_globals() -> dict[str, Any]:
    from emulator.panel.views.auth import switchable_accounts

    return {
        "me": panel_session.current_user() if request.endpoint != "panel.static" else None,
        "switchable": switchable_accounts(),
    }
