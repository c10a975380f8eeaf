"""The scenario file format, as marshmallow schemas.

A scenario names projects, users, images and shares. It is YAML (JSON is valid YAML, so
an export can be loaded back as it is). Errors name the field path and, for YAML files,
the line it sits on.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from emulator.identity.domain import passwords

MEMBER_STATUSES = ("pending", "accepted", "rejected")
IMAGE_VISIBILITIES = ("community", "public", "private", "shared")


def _valid_hash(value: str) -> None:
    try:
        passwords.check_hash(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


class ProjectSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    id = fields.String(validate=validate.Regexp(r"^[0-9a-zA-Z_-]{1,64}$"))
    description = fields.String(load_default="")
    #: Keystone project limits for the image service (unified limits; MiB for sizes).
    limits = fields.Dict(
        keys=fields.String(
            validate=validate.OneOf(
                (
                    "image_size_total",
                    "image_stage_total",
                    "image_count_total",
                    "image_count_uploading",
                )
            )
        ),
        values=fields.Integer(strict=True, validate=validate.Range(min=-1, max=2**53)),
    )


class UserSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    id = fields.String(validate=validate.Regexp(r"^[0-9a-zA-Z_-]{1,64}$"))
    password = fields.String(validate=validate.Length(min=1))
    #: Exports carry the stored hash instead of a password.
    password_hash = fields.String(validate=_valid_hash)
    project = fields.String(required=True)
    roles = fields.List(
        fields.String(validate=validate.OneOf(("admin", "manager", "member", "reader"))),
        load_default=lambda: ["member"],
    )
    #: A disabled user cannot log in, and its tokens are revoked (Keystone's rules).
    enabled = fields.Boolean(load_default=True)

    @validates_schema
    def _one_secret(self, data: dict[str, Any], **_: Any) -> None:
        if ("password" in data) == ("password_hash" in data):
            raise ValidationError("give exactly one of password or password_hash", "password")


class DataSchema(Schema):
    """Image bytes: a file path (relative to the scenario file), a generated size, or text."""

    class Meta:
        unknown = RAISE

    file = fields.String()
    size = fields.Integer(validate=validate.Range(min=0, max=1 << 34))
    text = fields.String()
    base64 = fields.String()

    @validates_schema
    def _exactly_one(self, data: dict[str, Any], **_: Any) -> None:
        if len(data) != 1:
            raise ValidationError("give exactly one of file, size, text or base64")


class ImageSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, allow_none=True)
    #: null: an image without an owner, which only an admin may create (as in Glance).
    owner = fields.String(required=True, allow_none=True)
    id = fields.String()
    visibility = fields.String(validate=validate.OneOf(IMAGE_VISIBILITIES))
    disk_format = fields.String(allow_none=True)
    container_format = fields.String(allow_none=True)
    min_ram = fields.Integer()
    min_disk = fields.Integer()
    protected = fields.Boolean()
    os_hidden = fields.Boolean()
    tags = fields.List(fields.String())
    properties = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    data = fields.Nested(DataSchema)
    #: deactivated images are uploaded, then deactivated.
    status = fields.String(validate=validate.OneOf(("queued", "active", "deactivated")))
    # Restore-only fields written by an export, kept as they were.
    created_at = fields.String()
    updated_at = fields.String()


class ShareSchema(Schema):
    class Meta:
        unknown = RAISE

    image = fields.String(required=True)
    project = fields.String(required=True)
    status = fields.String(load_default="pending", validate=validate.OneOf(MEMBER_STATUSES))
    created_at = fields.String()
    updated_at = fields.String()


class FlavorSchema(Schema):
    """A compute flavor (beside the built-in or configured ones; same id: replaces it)."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    id = fields.String(validate=validate.Length(min=1, max=255))
    ram = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    disk = fields.Integer(required=True, validate=validate.Range(min=0, max=2**31 - 1))
    vcpus = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    ephemeral = fields.Integer(validate=validate.Range(min=0, max=2**31 - 1))
    swap = fields.Integer(validate=validate.Range(min=0, max=2**31 - 1))
    is_public = fields.Boolean()
    description = fields.String(allow_none=True)


class ServerSchema(Schema):
    """A compute server, booted by its project's user with every image rule applied."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    project = fields.String(required=True)
    #: The booting user (by name); default: a user whose home project is ``project``.
    user = fields.String()
    #: A scenario image's name, or an image id.
    image = fields.String(required=True)
    #: A flavor id or name.
    flavor = fields.String(required=True)
    networks = fields.String(load_default="auto", validate=validate.OneOf(("none", "auto")))
    status = fields.String(load_default="ACTIVE", validate=validate.OneOf(("ACTIVE", "SHUTOFF")))
    id = fields.String(
        validate=validate.Regexp(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    )
    # Restore-only fields written by an export: the record as it was, and its disk.
    record = fields.Dict(keys=fields.String())
    disk = fields.Nested(DataSchema)


class ScenarioSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(load_default="scenario")
    description = fields.String(load_default="")
    #: Keep the four demo accounts beside the scenario's own.
    demo_accounts = fields.Boolean(load_default=True)
    projects = fields.List(fields.Nested(ProjectSchema), load_default=list)
    users = fields.List(fields.Nested(UserSchema), load_default=list)
    images = fields.List(fields.Nested(ImageSchema), load_default=list)
    shares = fields.List(fields.Nested(ShareSchema), load_default=list)
    #: Metadata definition namespaces, each as the body of POST /v2/metadefs/namespaces
    #: (checked against the same schema when loaded), plus optional created_at/updated_at.
    metadef_namespaces = fields.List(fields.Dict(keys=fields.String()), load_default=list)
    #: Whether a reset to this scenario starts from the built-in metadef catalog.
    metadefs_catalog = fields.Boolean(load_default=True)
    flavors = fields.List(fields.Nested(FlavorSchema), load_default=list)
    servers = fields.List(fields.Nested(ServerSchema), load_default=list)
    #: Fault rules put in force when the scenario is loaded (``control/domain/faults.py``).
    faults = fields.List(fields.Dict(keys=fields.String()), load_default=list)

    @validates("faults")
    def _faults_are_rules(self, value: list[dict[str, Any]], **_: Any) -> None:
        from emulator.control.domain.faults import RuleError, parse_rule

        for number, rule in enumerate(value):
            try:
                parse_rule(rule, "check")
            except RuleError as exc:
                raise ValidationError(f"faults.{number}: {exc.message}") from None


def load_document(document: Any) -> dict[str, Any]:
    """Validate a parsed document; raises marshmallow.ValidationError."""
    if not isinstance(document, dict):
        raise ValidationError({"_schema": ["a scenario must be a mapping"]})
    loaded: dict[str, Any] = ScenarioSchema().load(document)
    return loaded


__all__ = ["EXCLUDE", "ScenarioSchema", "ValidationError", "load_document"]
