"""JSON responses the way Glance writes them (``json.dumps(..., ensure_ascii=False)``)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False)
    response = Response(body, status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def no_content() -> Response:
    return Response(status=204)
