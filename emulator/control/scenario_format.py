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
