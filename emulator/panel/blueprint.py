"""The panel's one blueprint: templates and static files ship inside the package."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "panel",
    __name__,
    url_prefix="/panel",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
