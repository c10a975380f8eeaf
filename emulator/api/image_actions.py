"""Placeholder: filled in by its own change."""

from flask import Blueprint

bp = Blueprint("image_actions", __name__)
