"""Placeholder: filled in by its own change."""

from flask import Blueprint

bp = Blueprint("identity", __name__, url_prefix="/identity")
