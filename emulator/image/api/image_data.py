"""``/v2/images/{id}/file``: glance/api/v2/image_data.py's upload and download."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import ClientDisconnected

from emulator.core import errors
from emulator.core.blobs import FILE_SPANS, READ_CHUNK
from emulator.core.http import bodies
from emulator.core.http.render import no_content
from emulator.core.http.request_scope import unit_of_work
from emulator.image.services import image_data as data_service

UPLOAD_MEDIA_TYPE = "application/octet-stream"

#: The most of a refused upload read and dropped so the client can read the answer.
DRAIN_LIMIT = 64 << 20

bp = Blueprint("image_data", __name__)


# --- request checks (RequestDeserializer.upload) ---------------------------------------


def check_media_type(content_type: str | None) -> None:
    """415 unless the body is ``application/octet-stream`` (parameters allowed).

    webob's ``Request.content_type`` is the header up to the first ``;``, compared as is:
    no case folding, no trimming.
    """
    # Glance raises HTTPUnsupportedMediaType(detail=...): webob's 415 template names the
    # request's media type, then the detail.
    if content_type is None:
        raise errors.UnsupportedMediaType(detail="Invalid content type None")
    media_type = content_type.split(";", 1)[0]
    if media_type != UPLOAD_MEDIA_TYPE:
        raise errors.UnsupportedMediaType(detail=f"Invalid content type {media_type}")


def declared_size(size_header: str | None, content_length: int | None) -> int | None:
    """``x-openstack-image-size`` if sent (must be an integer), else Content-Length."""
    if size_header is not None:
        try:
            return int(size_header)
        except ValueError as exc:
            raise errors.BadRequest("Invalid or missing image size in request headers.") from exc
    return content_length or None


def body_chunks() -> Iterator[bytearray]:
    """The request body, a chunk at a time; a client that goes away ends it early.

    werkzeug raises ClientDisconnected when fewer bytes arrive than Content-Length
    announced; the service then sees a short body and answers Glance's "Size mismatch".
    Each chunk is read into a buffer of its own, which is handed on as it is (the emulator's
    server fills it straight from the socket; ``emulator/server/request_body.py``).
    """
    stream: Any = request.stream  # the server's wsgi.input or werkzeug's LimitedStream
    while True:
        buffer = bytearray(data_service.WRITE_CHUNK_SIZE)
        try:
            count = _read_into(stream, buffer)
        except ClientDisconnected:
            return
        except (ValueError, OSError) as exc:  # bad chunked encoding; a stalled client
            raise errors.BadRequest("The request body could not be read.") from exc
        if not count:
            return
        yield buffer if count == len(buffer) else buffer[:count]


def _read_into(stream: Any, buffer: bytearray) -> int:
    if hasattr(stream, "readinto"):
        return int(stream.readinto(buffer) or 0)
    data = stream.read(len(buffer))  # PEP 3333 asks wsgi.input for read, not readinto
    buffer[: len(data)] = data
    return len(data)


@bp.put("/v2/images/<image_id>/file")
def upload(image_id: str) -> Response:
    check_media_type(request.headers.get("Content-Type"))
    size = declared_size(request.headers.get("x-openstack-image-size"), request.content_length)
    try:
        data_service.upload(
            unit_of_work(), image_id, body_chunks(), size, request.headers.get("X-Image-Meta-Store")
        )
    except errors.EmulatorError:
        drain()
        raise
    return no_content()


def drain() -> None:
    """Read what is left of a refused upload (up to DRAIN_LIMIT) before answering.

    A server that answers and closes while the client is still sending makes the client's
    TCP stack discard the answer (a reset): the client sees a broken connection instead of
    Glance's 4xx. Bodies larger than the limit are not worth reading: the connection closes.
    """
    remaining = DRAIN_LIMIT
    try:
        while remaining > 0:
            chunk = request.stream.read(min(READ_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
    except (ClientDisconnected, ValueError, OSError):
        return


@bp.get("/v2/images/<image_id>/file")
def download(image_id: str) -> Response:
    bodies.refuse_body()  # router.py connects this route with body_reject=True
    result = data_service.download(
        unit_of_work(), image_id, request.headers.get("Range"), request.headers.get("Content-Range")
    )
    if not result.has_data:
        return no_content()  # glance_store.NotFound -> HTTPNoContent
    headers = {"Content-Length": str(result.length)}
    if result.part is not None:
        headers["Content-Range"] = result.part.content_range
    if result.image.checksum:
        # Hex, not the base64 RFC 1864 asks for: Glance sends the image's checksum as is.
        headers["Content-MD5"] = result.image.checksum
    response = Response(
        # Exactly the slice asked for, a chunk at a time, or sent by the server from the file.
        result.chunks(spans=bool(request.environ.get(FILE_SPANS))),
        status=200 if result.part is None else 206,
        headers=headers,
        content_type="application/octet-stream",
        direct_passthrough=True,
    )
    response.call_on_close(result.close)
    return response
