"""``/v2/images/{id}/file``: glance/api/v2/image_data.py's upload and download."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import ClientDisconnected

from emulator.core import errors
from emulator.core.blobs import READ_CHUNK
from emulator.core.http import bodies
from emulator.core.http.render import no_content
from emulator.core.http.request_scope import db
from emulator.identity.api.auth import current_context
from emulator.image.services import image_data as data_service

#: The most of a refused upload read and dropped so the client can read the answer.
DRAIN_LIMIT = 64 << 20

bp = Blueprint("image_data", __name__)


def _config():  # noqa: ANN202
    return current_app.config["EMULATOR"]


def _blobs():  # noqa: ANN202
    return current_app.extensions["emulator.blobs"]


def _body_chunks() -> Iterator[bytes]:
    """The request body, a chunk at a time; a client that goes away ends it early.

    werkzeug raises ClientDisconnected when fewer bytes arrive than Content-Length
    announced; the service then sees a short body and answers Glance's "Size mismatch".
    """
    stream = request.stream
    while True:
        try:
            chunk = stream.read(data_service.WRITE_CHUNK_SIZE)
        except ClientDisconnected:
            return
        except (ValueError, OSError) as exc:  # bad chunked encoding; a stalled client
            raise errors.BadRequest("The request body could not be read.") from exc
        if not chunk:
            return
        yield chunk


@bp.put("/v2/images/<image_id>/file")
def upload(image_id: str) -> Response:
    data_service.check_media_type(request.headers.get("Content-Type"))
    size = data_service.declared_size(
        request.headers.get("x-openstack-image-size"), request.content_length
    )
    try:
        data_service.upload(
            db(), current_context(), _config(), _blobs(), image_id, _body_chunks(), size
        )
    except errors.EmulatorError:
        _drain()
        raise
    return no_content()


def _drain() -> None:
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
        db(),
        current_context(),
        _config(),
        _blobs(),
        image_id,
        request.headers.get("Range"),
        request.headers.get("Content-Range"),
    )
    if result.status == 204:
        return no_content()
    headers = {"Content-Length": str(result.length)}
    if result.content_range is not None:
        headers["Content-Range"] = result.content_range
    if result.image.checksum:
        # Hex, not the base64 RFC 1864 asks for: Glance sends the image's checksum as is.
        headers["Content-MD5"] = result.image.checksum
    response = Response(
        result.chunks(),  # exactly the slice asked for, a chunk at a time
        status=result.status,
        headers=headers,
        content_type="application/octet-stream",
        direct_passthrough=True,
    )
    response.call_on_close(result.close)
    return response
