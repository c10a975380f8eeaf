"""Turn one side's answer into what can be compared with the other side's.

What legitimately differs between two servers is taken out: ids become the symbols the
call used (``<<img:3>>``, ``<<project:consumer>>``), base URLs become ``<image>`` and
``<identity>``, times become ``<time>``, Keystone's own random ids (roles, services,
endpoints, audit ids) become ``<id>``, and lists whose order Glance leaves open (tags: a
set; members: no sort) are sorted. The order of image lists is handled in ``compare``:
it needs both sides.

An error's text (``message``) is set apart from its code and title, so a different
wording is reported separately from a different status.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from differential.calls import Call, Symbols
from differential.targets import DROPPED, Answer, Target

ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
TIME_KEYS = {"created_at", "updated_at", "expires_at", "issued_at", "password_expires_at"}
# Headers clients read. Content-Length only where it is data (downloads), not JSON size.
COMPARED_HEADERS = (
    "content-type",
    "content-range",
    "content-md5",
    "location",
    "allow",
    "www-authenticate",
    "openstack-image-import-methods",
    "openstack-image-store-ids",
)
PRESENCE_HEADERS = ("x-openstack-request-id", "x-subject-token")
IMAGE_SORT_DEFAULT = ("created_at",)


@dataclass
class View:
    """One side's answer, normalised."""

    status: int
    headers: dict[str, str]
    body: Any
    error_text: str | None = None
    # Image lists: (symbol, raw values of the sort keys) in the order the side gave.
    order: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)


def is_image_list(call: Call) -> bool:
    return (
        call.service == "image"
        and call.method == "GET"
        and call.path.rstrip("/") in ("/v2/images",)
    )


def normalise(call: Call, answer: Answer, symbols: Symbols, target: Target) -> View:
    if answer.status == DROPPED:
        return View(DROPPED, {}, None)
    headers = _headers(call, answer, symbols, target)
    body: Any = None
    error_text = None
    document = _json_or_none(answer)
    if document is not None:
        if answer.status >= 400:
            document, error_text = _split_error(document)
        body = _value(document, symbols, target, key=None)
    elif answer.body:
        if answer.status >= 400:
            error_text = _plain_text(answer.body)
        elif call.path.endswith("/file"):
            body = {"sha256": hashlib.sha256(answer.body).hexdigest(), "size": len(answer.body)}
        else:
            body = {"text": answer.body.decode("utf-8", "replace")}
    if error_text is not None:
        error_text = _text(_trim_webob(error_text), symbols, target)
    view = View(answer.status, headers, body, error_text)
    if is_image_list(call) and answer.status == 200 and isinstance(document, dict):
        _merge_pages(call, answer, view, symbols, target)
    return view


def _json_or_none(answer: Answer) -> Any:
    kind = answer.headers.get("content-type", "")
    if "json" not in kind or not answer.body:
        return None
    try:
        return json.loads(answer.body)
    except ValueError:
        return None


def _split_error(document: Any) -> tuple[Any, str | None]:
    """Glance (webob): ``{"code", "title", "message"}``; Keystone: the same in ``error``."""
    if isinstance(document, dict) and isinstance(document.get("error"), dict):
        inner = dict(document["error"])
        text = inner.pop("message", None)
        return {**document, "error": inner}, text
    if isinstance(document, dict) and "message" in document:
        rest = dict(document)
        return rest, str(rest.pop("message"))
    return document, None


def _trim_webob(text: str) -> str:
    """webob ends a JSON error's message with ``<br /><br />`` and newlines."""
    return re.sub(r"(\s|<br />)+$", "", text)


def _plain_text(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _headers(call: Call, answer: Answer, symbols: Symbols, target: Target) -> dict[str, str]:
    out: dict[str, str] = {}
    has_body = bool(answer.body) and answer.status != 204
    for name in COMPARED_HEADERS:
        if name not in answer.headers:
            continue
        value = answer.headers[name]
        if name == "content-type":
            if not has_body:
                continue
            value = value.replace(" ", "").lower()
        out[name] = _text(value, symbols, target)
    if call.method == "GET" and call.path.endswith("/file") and "content-length" in answer.headers:
        out["content-length"] = answer.headers["content-length"]
    for name in PRESENCE_HEADERS:
        if name in answer.headers:
            out[name] = "<present>"
    sent_id = {k.lower(): v for k, v in call.headers.items()}.get("x-openstack-request-id")
    if sent_id is not None and "x-openstack-request-id" in answer.headers:
        out["x-openstack-request-id"] = answer.headers["x-openstack-request-id"]
    return out


def _text(value: str, symbols: Symbols, target: Target) -> str:
    if target.identity_url.startswith(target.image_url):  # the emulator: identity under image
        value = value.replace(target.identity_url, "<identity>")
        value = value.replace(target.image_url, "<image>")
    else:
        value = value.replace(target.image_url, "<image>")
        value = value.replace(target.identity_url, "<identity>")
    return symbols.symbolise_text(value)


def _link(value: str, symbols: Symbols, target: Target) -> str:
    """A list link, its query parameters sorted (their order is not meaningful)."""
    text = _text(value, symbols, target)
    parts = urlsplit(text)
    if not parts.query:
        return text
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)), safe="<>:")
    return f"{parts.path}?{query}"


def _value(value: Any, symbols: Symbols, target: Target, key: str | None) -> Any:
    if isinstance(value, str):
        if key in TIME_KEYS or ISO_TIME.match(value):
            return "<time>"
        if key in ("first", "next", "self") and "?" in value:
            return _link(value, symbols, target)
        text = _text(value, symbols, target)
        if key == "id" and text == value and re.fullmatch(r"[0-9a-f]{32}", value):
            return "<id>"  # a Keystone id that is not one of ours (role, service, endpoint)
        return text
    if isinstance(value, list):
        items = [_value(item, symbols, target, key) for item in value]
        if key == "tags":
            return sorted(items, key=_sort_key)
        if key in ("members", "roles", "catalog", "endpoints", "projects"):
            return sorted(items, key=_sort_key)
        if key == "audit_ids":
            return ["<audit-id>" for _ in items]
        return items
    if isinstance(value, dict):
        return {_text(k, symbols, target): _value(v, symbols, target, k) for k, v in value.items()}
    return value


def _sort_key(item: Any) -> str:
    return json.dumps(item, sort_keys=True)


def sort_keys_of(query: str) -> tuple[str, ...]:
    """The attributes an image list is sorted by, as Glance reads them, plus its
    ``created_at`` tie-breaker (``glance/db/sqlalchemy/api.py`` appends it, then ``id``)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    keys = [v for k, v in pairs if k == "sort_key"]
    for k, v in pairs:
        if k == "sort":
            keys += [part.split(":")[0].strip() for part in v.split(",") if part.strip()]
    keys = [k for k in keys if k != "id"] or list(IMAGE_SORT_DEFAULT)
    if "created_at" not in keys:
        keys.append("created_at")
    return tuple(keys)


def _merge_pages(call: Call, answer: Answer, view: View, symbols: Symbols, target: Target) -> None:
    """One list from all pages (``follow_next``), and the order facts ``compare`` needs."""
    keys = sort_keys_of(symbols.resolve_text(call.query))
    raw_images: list[dict[str, Any]] = list(answer.json().get("images", []))
    sizes = [len(raw_images)]
    statuses = []
    for page in answer.pages:
        statuses.append(page.status)
        if page.status == 200:
            raw_images += page.json().get("images", [])
            sizes.append(len(page.json().get("images", [])))
    view.order = [
        (symbols.symbolise_text(image["id"]), tuple(str(image.get(k)) for k in keys))
        for image in raw_images
    ]
    if answer.pages:
        body = dict(view.body)
        body["images"] = [_value(image, symbols, target, None) for image in raw_images]
        body["page_sizes"] = sizes
        body["page_statuses"] = statuses
        body.pop("next", None)
        view.body = body
