"""Placeholder: filled in by its own change."""

from flask import Blueprint

bp = Blueprint("images", __name__)
