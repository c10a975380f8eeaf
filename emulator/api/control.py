"""Placeholder: filled in by its own change."""

from flask import Blueprint

bp = Blueprint("control", __name__)
