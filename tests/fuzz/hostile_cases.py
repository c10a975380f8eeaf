"""The hostile requests, generated from ``api-ref/openapi.yaml``: same document, same cases.

Every operation of the document (its paths and methods, so a new route is covered as soon as
it is documented) gets, with a valid token and without one:

- its valid request bodies (the document's examples, with any number field the body schema
  declares filled in) with each string, key or value, at any depth, replaced in turn by a
  lone surrogate escape, an escaped NUL, 100,000 characters, invalid UTF-8 bytes and an
  RTL/emoji mix, and each number by 10**5000 written out, 1e400, -1 and 2**63;
- whole-body mutations: 100,000-deep nesting, truncated JSON, an array, null or a string
  where an object is expected, an empty body with Content-Length 0, a wrong Content-Type;
- each header clients send or the server reads replaced by 5,000 digits, latin-1 high bytes
  (a UTF-8 surrogate among them), 60 KB, 16,000 bytes (as long as Glance's limit on a
  header line allows) or nothing, and those that carry a number by each number above;
- each query parameter the document lists, and a few it does not, as percent-encoded invalid
  UTF-8, 5,000 digits, 60 KB, 7,000 bytes (within Glance's limit on a request line) or
  repeated; and keys that are not UTF-8;
- each path parameter as percent-encoded invalid UTF-8, an encoded slash or NUL, 5,000
  characters, ``..`` or an id that names nothing.

A case names what it changes; what it leaves alone (the real image and project ids, the
token, the other headers) is filled in by the world when the case is sent, so cases stay
valid after the world is rebuilt.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "api-ref" / "openapi.yaml"
HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete")

#: Replacements for a string, as bytes inside the JSON text's quotes.
STRING_VARIANTS: dict[str, bytes] = {
    "lone surrogate": b"\\udc80",
    "escaped NUL": b"\\u0000",
    "100,000 characters": b"x" * 100_000,
    "invalid UTF-8": b"\xff\xfe",
    "RTL and emoji": "\u202eabc \u05e9\u05dc\u05d5\u05dd \U0001f600\u200d\U0001f525".encode(),
}
#: Replacements for a number, as JSON text.
NUMBER_VARIANTS: dict[str, bytes] = {
    "10**5000": b"1" + b"0" * 5000,
    "1e400": b"1e400",
    "-1": b"-1",
    "2**63": str(2**63).encode(),
}
#: Replacements for a header value.
HEADER_VARIANTS: dict[str, bytes] = {
    "5,000 digits": b"9" * 5000,
    "latin-1 high bytes": b"caf\xe9 \xff\xfe \xed\xb2\x80",  # the last three: a surrogate
    "60 KB": b"a" * 60_000,  # refused by the server's head limits, as Glance's were
    "16,000 bytes": b"h" * 16_000,  # the longest Glance's max_header_line lets through
    "empty": b"",
}
#: Headers that carry a number, and how: each also gets every NUMBER_VARIANTS value.
NUMERIC_HEADERS = {
    "Content-Length": b"%s",
    "x-openstack-image-size": b"%s",
    "Range": b"bytes=%s-",
}
#: Replacements for a query value (already percent-encoded where needed).
QUERY_VARIANTS: dict[str, bytes] = {
    "encoded surrogate": b"%ED%B2%80",
    "encoded 0xFF": b"%FF",
    "5,000 digits": b"9" * 5000,
    "60 KB": b"q" * 60_000,  # a request line over Glance's 8192 bytes: 414
    "7,000 bytes": b"q" * 7_000,  # still within it
}
#: Replacements for a path segment (already percent-encoded where needed).
PATH_VARIANTS: dict[str, bytes] = {
    "encoded surrogate": b"%ED%B2%80",
    "encoded 0xFF": b"%FF",
    "encoded slash": b"a%2Fb",
    "encoded NUL": b"a%00b",
    "5,000 characters": b"p" * 5000,
    "dot dot": b"..",
    "unknown id": b"00000000-0000-4000-8000-000000000000",
}

#: The headers clients send, and those the server reads; the operation's own are added.
HEADERS = (
    "X-Auth-Token",
    "Content-Type",
    "Accept",
    "Range",
    "Content-Range",
    "x-openstack-image-size",
    "X-Openstack-Request-Id",
    "OpenStack-API-Version",
    "Content-Length",
    "Host",
    "User-Agent",
    "Origin",
    "Sec-Fetch-Site",
    "X-Subject-Token",
)
#: Query parameters some route reads, sent to every route whether documented there or not.
EXTRA_QUERY = ("limit", "marker", "sort", "os_distro", "nocatalog", "data", "fuzz")

DEEP = 100_000


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    path_params: tuple[str, ...]
    path_defaults: dict[str, str]
    query_params: tuple[str, ...]
    header_params: tuple[str, ...]
    #: (media type, valid body) pairs; bytes for a binary body.
    bodies: tuple[tuple[str, Any], ...]

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def keystone_style(self) -> bool:
        return self.template.startswith(("/identity", "/_emulator"))


@dataclass(frozen=True)
class Case:
    operation: Operation
    kind: str
    token: bool
    #: Path parameters sent as these raw bytes instead of the world's real values.
    path: dict[str, bytes] = field(default_factory=dict)
    query: bytes = b""
    #: Header overrides: a value, or None to leave the header out.
    headers: tuple[tuple[str, bytes | None], ...] = ()
    #: The body and its Content-Type; None for none.
    body: bytes | None = None
    content_type: bytes | None = None

    @property
    def description(self) -> str:
        who = "token" if self.token else "no token"
        return f"{self.operation.label} [{who}] {self.kind}"


# --- the document ------------------------------------------------------------------------


@functools.cache
def document() -> dict[str, Any]:
    with OPENAPI_PATH.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = yaml.safe_load(stream)
    return loaded


def resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document()
        for token in node["$ref"][2:].split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operations() -> list[Operation]:
    found = []
    for template, item in document()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                found.append(_operation(template, item, method.upper()))
    return found


def _operation(template: str, item: dict[str, Any], method: str) -> Operation:
    operation = item[method.lower()]
    params = [resolve(p) for p in item.get("parameters", []) + operation.get("parameters", [])]
    path_params = tuple(p["name"] for p in params if p["in"] == "path")
    defaults = {}
    for p in params:
        schema = resolve(p.get("schema", {}))
        if p["in"] == "path" and (schema.get("enum") or "example" in p):
            defaults[p["name"]] = str(schema["enum"][0] if schema.get("enum") else p["example"])
    return Operation(
        method=method,
        template=template,
        path_params=path_params,
        path_defaults=defaults,
        query_params=tuple(p["name"] for p in params if p["in"] == "query"),
        header_params=tuple(p["name"] for p in params if p["in"] == "header"),
        bodies=tuple(_valid_bodies(operation)),
    )


def _valid_bodies(operation: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    content = resolve(operation.get("requestBody", {})).get("content", {})
    for media_type, spec in content.items():
        if spec.get("schema", {}).get("format") == "binary":
            yield media_type, b"\0" * 1024
            continue
        examples = [resolve(e)["value"] for e in spec.get("examples", {}).values()]
        if "example" in spec:
            examples.append(spec["example"])
        for example in examples:
            yield media_type, with_numbers(json.loads(json.dumps(example)), spec.get("schema"))


def _merged_properties(schema: Any) -> tuple[dict[str, Any], Any]:
    """The properties an object may have (every ``oneOf``/``anyOf``/``allOf`` branch's) and
    its ``items`` schema, ``$ref``s followed."""
    schema = resolve(schema) or {}
    properties = dict(schema.get("properties", {}))
    items = schema.get("items")
    for keyword in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(keyword, []):
            branch_properties, branch_items = _merged_properties(branch)
            properties.update(branch_properties)
            items = items or branch_items
    return properties, items


def with_numbers(value: Any, schema: Any) -> Any:
    """The example, with each integer or number property its schema declares and the example
    leaves out set to its minimum (or 0), so that every body has numbers to mutate."""
    properties, items = _merged_properties(schema)
    if isinstance(value, dict):
        bounded = "maxProperties" in (resolve(schema) or {})
        for name, sub in properties.items():
            sub = resolve(sub)
            if name in value:
                value[name] = with_numbers(value[name], sub)
            elif not bounded and sub.get("type") in ("integer", "number"):
                value[name] = sub.get("minimum", 0)
    elif isinstance(value, list) and items is not None:
        value = [with_numbers(element, items) for element in value]
    return value


# --- mutations of a JSON body -------------------------------------------------------------

_MARK = "\x1dfuzz-mark\x1d"


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _positions(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Where the strings and numbers are: (path, "key" | "string" | "number")."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield (*path, key), "key"
            yield from _positions(sub, (*path, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _positions(sub, (*path, index))
    elif isinstance(value, str):
        yield path, "string"
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, "number"


def _marked(value: Any, path: tuple[Any, ...], what: str) -> Any:
    """A copy of ``value`` with the key or value at ``path`` replaced by the mark."""
    if not path:
        return _MARK
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        if not rest and what == "key":
            return {(_MARK if k == head else k): v for k, v in value.items()}
        return {k: (_marked(v, rest, what) if k == head else v) for k, v in value.items()}
    return [_marked(v, rest, what) if i == head else v for i, v in enumerate(value)]


def body_mutations(body: Any) -> Iterator[tuple[str, bytes]]:
    """(what was changed, JSON text) for each string and number of ``body`` in turn."""
    for path, what in _positions(body):
        text = _encode(_marked(body, path, what))
        mark = _encode(_MARK)
        where = "/".join(str(p) for p in path) or "(root)"
        if what == "number":
            for name, raw in NUMBER_VARIANTS.items():
                yield f"body {where}: number -> {name}", text.replace(mark, raw)
        else:
            for name, raw in STRING_VARIANTS.items():
                replaced = text.replace(mark, b'"' + raw + b'"')
                yield f"body {where} ({what}) -> {name}", replaced


def whole_body_mutations(valid: bytes | None) -> Iterator[tuple[str, bytes]]:
    yield "body: 100,000-deep array", b"[" * DEEP + b"]" * DEEP
    yield "body: 100,000-deep object", b'{"a":' * DEEP + b"{}" + b"}" * DEEP
    truncated = (valid or b'{"name": "truncated", "tags": ["a"]}')[:-3]
    yield "body: truncated JSON", truncated
    yield "body: an array", b'[{"name": "x"}]'
    yield "body: null", b"null"
    yield "body: a string", b'"a string"'
    yield "body: empty, Content-Length 0", b""


# --- the cases -------------------------------------------------------------------------------


def cases_for(operation: Operation) -> list[Case]:
    cases = []
    for token in (True, False):
        cases.extend(_cases(operation, token))
    return cases


def _cases(op: Operation, token: bool) -> Iterator[Case]:
    media_type, default = op.bodies[0] if op.bodies else ("application/json", None)
    content_type = media_type.encode()
    default_body = default if isinstance(default, bytes) or default is None else _encode(default)

    def case(kind: str, **changes: Any) -> Case:
        changes.setdefault("body", default_body)
        changes.setdefault("content_type", content_type if changes["body"] is not None else None)
        return Case(op, kind, token, **changes)

    yield case("as documented")

    for body_type, body in op.bodies:
        if isinstance(body, bytes):
            continue
        for kind, text in body_mutations(body):
            yield case(f"{body_type}: {kind}", body=text, content_type=body_type.encode())
    for kind, text in whole_body_mutations(default_body):
        yield case(kind, body=text)
    yield case(
        "body with a wrong Content-Type", body=default_body or b"{}", content_type=b"text/plain"
    )

    headers = list(HEADERS) + [h for h in op.header_params if h.lower() not in _lower(HEADERS)]
    for name in headers:
        if name == "X-Auth-Token" and not token:
            continue  # the same requests as with a token
        for kind, value in HEADER_VARIANTS.items():
            yield case(f"header {name}: {kind}", headers=((name, value),))
        if name in NUMERIC_HEADERS:
            for kind, number in NUMBER_VARIANTS.items():
                value = NUMERIC_HEADERS[name] % number
                yield case(f"header {name}: number {kind}", headers=((name, value),))

    names = list(op.query_params) + [q for q in EXTRA_QUERY if q not in op.query_params]
    for name in names:
        key = name.encode()
        for kind, value in QUERY_VARIANTS.items():
            yield case(f"query {name}: {kind}", query=key + b"=" + value)
        yield case(f"query {name}: repeated", query=b"&".join([key + b"=1", key + b"=%FF", key]))
    for kind, query in (
        ("query key: encoded surrogate", b"%ED%B2%80=1"),
        ("query key: encoded 0xFF", b"%FF=%FF"),
        ("query: separators only", b"&&=&=="),
    ):
        yield case(kind, query=query)

    for name in op.path_params:
        for kind, value in PATH_VARIANTS.items():
            yield case(f"path {name}: {kind}", path={name: value})


def _lower(names: tuple[str, ...]) -> set[str]:
    return {n.lower() for n in names}


def all_cases() -> list[Case]:
    return [case for operation in operations() for case in cases_for(operation)]
