"""Every difference between the emulator and the real stack that the suite accepts.

One table, matched by request shape (``compare.request_shape``: method, path with ids
generalised, query keys, body type), then by aspect, place and values. A difference no
entry matches fails the suite. ``wrong`` says whose answer is off:

- ``real-glance``: Glance itself is wrong (a 500, a dropped connection, a safety bypass);
  the emulator gives the answer Glance's code evidently meant, and keeps it;
- ``real-stack``: the shared stack's deployment, not Glance's design (SQLite, uWSGI, its
  configuration files and bootstrap data);
- ``neither``: a documented choice of the emulator (``api-ref/COVERAGE.md``) where both
  answers are defensible, or wording that is ours on purpose.

Divergences where the emulator is wrong are *not* here: they fail the suite until fixed
(see ``FINDINGS.md``). ``taints`` marks an entry after which the image's state differs
on the two sides; the suite stops comparing that image. An entry with aspect ``request``
taints the image as soon as such a request is sent, whatever the answers.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_PROPERTIES = (
    "kernel_id|ramdisk_id|instance_uuid|architecture|os_distro|os_version|description"
    "|cinder_encryption_key_id|cinder_encryption_key_deletion_policy"
)


@dataclass(frozen=True)
class Expected:
    key: str
    request: str  # regex over compare.request_shape(call)
    aspect: str  # status | header | body | error-text | request
    why: str
    where: str | None = None  # regex over the header name or JSON path
    real: object = None  # the real side's value; a tuple: one of these; None: any
    emulator: object = None
    when: str | None = None  # a condition of expectations.CONDITIONS
    rule: str | None = None  # a relation of expectations.RULES between the two values
    taints: bool = False
    wrong: str = "real-glance"  # real-glance | real-stack | neither


EXPECTED: tuple[Expected, ...] = (
    # ------------------------------------------------------------ Glance is wrong
    Expected(
        "queued-download-with-range-drops-connection",
        r"^GET /v2/images/\{img\}/file$",
        "status",
        "Glance 33 fails with a TypeError (no data iterator to slice) and uWSGI drops the "
        "connection; the emulator answers 204 as for any download of an image without data.",
        real=0,
        emulator=204,
        when="range header",
    ),
    Expected(
        "upload-after-refused-upload-500",
        r"^PUT /v2/images/\{img\}/file <bytes",
        "status",
        "After a 415 format refusal Glance's file store keeps the refused file, so the next "
        "upload fails to write it again (500 'Duplicate'); the emulator kept nothing.",
        real=500,
        taints=True,
    ),
    Expected(
        "create-with-list-body-500",
        r"^POST /v2/images <list>$",
        "status",
        "Glance's deserializer calls .pop on the list (500); the emulator answers 400.",
        real=500,
        emulator=400,
    ),
    Expected(
        "unparsable-range-fails",
        r"^GET /v2/images/\{img\}/file$",
        "status",
        "'Range: bytes=-' (no start, no end) and a request 'Content-Range: bytes */N' make "
        "Glance fail (a 500; uWSGI drops the connection, status 0 here); the emulator "
        "answers 416.",
        real=(500, 0),
        emulator=416,
        when="range header",
    ),
    Expected(
        "list-filter-500",
        r"^GET /v2/images\?",
        "status",
        "Filters Glance's query builder cannot compare (properties=, locations=, members=, "
        "an empty changes-since=, ...) fail with a 500 there; 400 in the emulator.",
        real=500,
        emulator=400,
        when="filter Glance cannot compare",
    ),
    Expected(
        "odd-member-id-500",
        r"^POST /v2/images/\{img\}/members <dict>$",
        "status",
        "A list or object member id fails inside Glance with a 500 (it cannot store it "
        "as a string column value); the emulator answers 400.",
        real=500,
        emulator=400,
        when="odd member",
    ),
    Expected(
        "text-upload-with-non-ascii-accepted-unchecked",
        r"^PUT /v2/images/\{img\}/file <bytes",
        "status",
        "Glance's inspector gives up on text-first data with a non-ASCII byte in its first "
        "64 KiB and lets it through unchecked (a safety bypass); the emulator refuses it.",
        real=204,
        emulator=415,
        when="non-ascii data",
        taints=True,
    ),
    Expected(
        "metadef-rename-onto-taken-name-500",
        r"^PUT /v2/metadefs/namespaces/[^/]+/(objects|properties)/[^/]+ <dict>$",
        "status",
        "Renaming a metadef object or property onto a name the namespace already has fails "
        "with a 500 in Glance 33; the emulator answers the 409 its DB layer words.",
        real=500,
        emulator=409,
    ),
    # ------------------------------------------------------------ the real stack
    Expected(
        "utf8-tag-garbled-by-uwsgi",
        r"^(PUT|DELETE) /v2/images/\{img\}/tags/\{tag\}$",
        "request",
        "uWSGI decodes the path as Latin-1, so a UTF-8 tag is stored garbled (real-glance "
        "README); the emulator decodes UTF-8.",
        when="non-ascii path",
        taints=True,
        wrong="real-stack",
    ),
    Expected(
        "over-255-characters-kept-by-sqlite",
        r"^(POST /v2/images|PATCH /v2/images/\{img\}|POST /v2/images/\{img\}/members) <",
        "request",
        "SQLite does not enforce column lengths, so the real stack stores property keys and "
        "member ids over 255 characters (real-glance README); the emulator refuses them.",
        when="over 255 characters",
        taints=True,
        wrong="real-stack",
    ),
    Expected(
        "over-255-characters-status",
        r"^(POST /v2/images|PATCH /v2/images/\{img\}|POST /v2/images/\{img\}/members) <",
        "status",
        "As above: the real stack's answer to an over-long key or member id.",
        emulator=400,
        when="over 255 characters",
        wrong="real-stack",
    ),
    Expected(
        "no-schema-image-json-schema",
        r"^GET /v2/schemas/images?$",
        "body",
        "The PyPI wheel has no etc/schema-image.json and the stack does not install one "
        "(Glance logs 'Could not find schema properties file'), so its image schema lacks "
        "the default custom properties every packaged deployment has.",
        where=rf"\.properties\.(images\.items\.properties\.)?({SCHEMA_PROPERTIES})$",
        real="<absent>",
        wrong="real-stack",
    ),
    Expected(
        "no-schema-image-json-null-ramdisk",
        r"^POST /v2/images <dict>$",
        "status",
        "Without schema-image.json, ramdisk_id is a plain extra property (a string), so null "
        "is a 400; with Glance's own file it is ['null', 'string'] and accepted (201).",
        real=400,
        emulator=201,
        when="kernel or ramdisk id",
        wrong="real-stack",
        taints=True,
    ),
    Expected(
        "no-schema-image-json-null-ramdisk-patch",
        r"^PATCH /v2/images/\{img\} <list>$",
        "status",
        "The PATCH form of the entry above: null for ramdisk_id or kernel_id is a 400 "
        "without schema-image.json, a 200 (kept as null) with Glance's own file.",
        real=400,
        emulator=200,
        when="kernel or ramdisk id",
        wrong="real-stack",
        taints=True,
    ),
    Expected(
        "no-schema-image-json-kernel-pattern",
        r"^(POST /v2/images|PATCH /v2/images/\{img\}) <",
        "status",
        "Without schema-image.json, kernel_id/ramdisk_id have no UUID pattern, so "
        "'not-a-uuid' is accepted; with Glance's own file it is a 400, as in the emulator.",
        real=201,
        emulator=400,
        when="kernel or ramdisk id",
        wrong="real-stack",
    ),
    Expected(
        "no-schema-image-json-kernel-pattern-patch",
        r"^PATCH /v2/images/\{img\} <list>$",
        "status",
        "The PATCH form of the entry above.",
        real=200,
        emulator=400,
        when="kernel or ramdisk id",
        wrong="real-stack",
        taints=True,
    ),
    Expected(
        "image-cache-dir-advertises-cache-versions",
        r"^(GET|POST) /",
        "body",
        "The stack sets image_cache_dir, so Glance lists 2.18, 2.16 and 2.14 (cache API) "
        "as well; the emulator answers as Glance without a cache (up to 2.17).",
        where=r"^\.versions$",
        wrong="real-stack",
    ),
    Expected(
        "catalog-data",
        r"^(POST|GET) /v3/auth/(tokens|catalog)",
        "body",
        "The catalog is deployment data: the stack registers Keystone at .../v3 and Glance "
        "as public+internal; the emulator lists its own URLs and interfaces.",
        where=r"^\.(token\.)?catalog",
        wrong="real-stack",
    ),
    Expected(
        "project-descriptions",
        r"/v3/(auth/)?projects",
        "body",
        "Project descriptions are the stack's bootstrap data.",
        where=r"\.description$",
        wrong="real-stack",
    ),
    # ------------------------------------------------------------ documented choices
    Expected(
        "schema-error-first-line",
        r".",
        "error-text",
        "Glance appends jsonschema's dump of the failing schema and instance to a 400; the "
        "emulator keeps the first line (COVERAGE: schema validation messages).",
        rule="emulator keeps the first line",
        wrong="neither",
    ),
    Expected(
        "schema-prose",
        r"^GET /v2/schemas/",
        "body",
        "Schema descriptions are written in the emulator's own words (no copied prose).",
        where=r"\.description$",
        wrong="neither",
    ),
    Expected(
        "keystone-unsupported-method-body",
        r"^POST /v3/auth/tokens <dict>$",
        "body",
        "Keystone adds the list of its auth methods to that 401; the emulator does not.",
        where=r"^\.error\.identity$",
        wrong="neither",
    ),
    Expected(
        "keystone-password-without-user-text",
        r"^POST /v3/auth/tokens <dict>$",
        "error-text",
        "Keystone says 'in None' (its plugin has no name yet); the emulator says 'in password'.",
        where="message",
        wrong="real-glance",
    ),
    Expected(
        "keystone-undecodable-token-text",
        r"^(GET|HEAD) /v3/auth/tokens",
        "error-text",
        "Keystone names the cause for a token it cannot decode; the emulator says 'Failed "
        "to validate token' for every unknown token.",
        real="Could not recognize Fernet token",
        emulator="Failed to validate token",
        wrong="neither",
    ),
    Expected(
        "keystone-domain-name-case",
        r"^POST /v3/auth/tokens <dict>$",
        "status",
        "Domain names match case-insensitively in the emulator, as on Keystone's usual "
        "MySQL backend; the SQLite-backed stack compares exactly.",
        real=401,
        emulator=201,
        wrong="real-stack",
    ),
    Expected(
        "keystone-paths-not-served",
        r"^GET /v3/(users|roles|domains|credentials)",
        "status",
        "Keystone paths outside the subset clients need answer 404 in the emulator.",
        emulator=404,
        wrong="neither",
    ),
    Expected(
        "identity-at-the-image-url",
        r"^\w+ /v3/images",
        "status",
        "Under /v3 on the image URL (the image URL given as the auth URL) the emulator "
        "answers a 404 naming its auth URL; Glance answers any unknown version with 300.",
        real=300,
        emulator=404,
        wrong="neither",
    ),
)
