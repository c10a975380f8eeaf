"""Placeholder: filled in by its own change."""

from flask import Blueprint

bp = Blueprint("schemas", __name__)
