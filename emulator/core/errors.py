"""The one exception tree.

Default messages are webob's class explanations (whitespace-normalised, as webob does).

Services and the domain raise these; ``emulator.core.http.errors`` renders them once, in
Glance's (webob) body shape under ``/v2`` and in Keystone's shape under ``/identity``.
No Flask here: a class carries its HTTP status, its title and a message.
"""

from __future__ import annotations


class EmulatorError(Exception):
    """Base: an HTTP-mappable failure with a human message."""

    status = 500
    title = "Internal Server Error"
    #: webob's default explanation, used when no message is given.
    default_message = (
        "The server has either erred or is incapable of performing the requested operation."
    )
    #: webob's ``body_template``, when Glance passes one (``${explanation}``: the bare text).
    body_template: str | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        detail: str | None = None,
        comment: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        # webob's three parts: Glance passes ``explanation=`` (our ``message``) in most
        # places, but a positional message is webob's ``detail``, rendered after the class's
        # default explanation; ``comment`` appears only as an HTML comment.
        self.explanation = message if message is not None else self.default_message
        self.detail = detail
        self.comment = comment
        self.message = message if message is not None else (detail or self.default_message)
        self.headers = dict(headers or {})
        super().__init__(self.message)

    @property
    def status_line(self) -> str:
        return f"{self.status} {self.title}"


class BadRequest(EmulatorError):
    status = 400
    title = "Bad Request"
    default_message = (
        "The server could not comply with the request since it is either malformed or "
        "otherwise incorrect."
    )


class Unauthorized(EmulatorError):
    status = 401
    title = "Unauthorized"
    default_message = (
        "This server could not verify that you are authorized to access the document you "
        "requested. Either you supplied the wrong credentials (e.g., bad password), or your "
        "browser does not understand how to supply the credentials required."
    )


class Forbidden(EmulatorError):
    status = 403
    title = "Forbidden"
    default_message = "Access was denied to this resource."


class NotFound(EmulatorError):
    status = 404
    title = "Not Found"
    default_message = "The resource could not be found."


class MethodNotAllowed(EmulatorError):
    status = 405
    title = "Method Not Allowed"
    default_message = "The method is not allowed for this resource."


class Conflict(EmulatorError):
    status = 409
    title = "Conflict"
    default_message = "There was a conflict when trying to complete your request."


class Gone(EmulatorError):
    status = 410
    title = "Gone"
    default_message = "This resource is no longer available. No forwarding address is given."


class RequestEntityTooLarge(EmulatorError):
    status = 413
    title = "Request Entity Too Large"
    default_message = "The body of your request was too large for this server."


class UnsupportedMediaType(EmulatorError):
    status = 415
    title = "Unsupported Media Type"
    default_message = "The request media type is not supported by this server."


class RangeNotSatisfiable(EmulatorError):
    status = 416
    title = "Request Range Not Satisfiable"
    default_message = "The Range requested is not available."


class RequestHeaderFieldsTooLarge(EmulatorError):
    status = 431
    title = "Request Header Fields Too Large"
    default_message = "The request header fields were too large"


class MethodNotImplemented(EmulatorError):
    """Glance's router for a path no route matches, with a method outside the ones it
    implements (glance/common/wsgi.py ``Router._dispatch``): webob's 501, whose text names
    the request method."""

    status = 501
    title = "Not Implemented"
    default_message = "The request method is not implemented for this server."


class ServiceUnavailable(EmulatorError):
    status = 503
    title = "Service Unavailable"
    default_message = "The server is currently unavailable. Please try again at a later time."
