"""The image page's forms: members, visibility, (de)activation, data, delete.

Each runs one image use case as the logged-in user and goes back to a page with the
outcome: the API's own refusal text when it is refused, so nothing here has rules of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import Response, flash, request
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Response as BaseResponse

from emulator.core import errors
from emulator.core.http.request_scope import unit_of_work
from emulator.image.services import image_data
from emulator.image.services import images as image_service
from emulator.image.services import members as member_service
from emulator.panel.blueprint import bp
from emulator.panel.views.common import attempt, back, user

#: ``application/openstack-images-v2.1-json-patch`` (glance/api/v2/images.py).
PATCH_DRAFT = 10
#: At most this many chunks (64 MiB) of a refused upload are read and dropped.
DRAIN_CHUNKS = (64 << 20) // image_data.WRITE_CHUNK_SIZE


@bp.post("/images/<image_id>/members")
def add_member(image_id: str) -> BaseResponse:
    member = request.form.get("member", "").strip()
    attempt(
        lambda: member_service.create(unit_of_work(), image_id, {"member": member}),
        f"Project {member} added as a member (pending until it accepts). Glance does not "
        "check that a project has this ID: if nobody answers, check the ID with the consumer.",
    )
    return back("panel.image", image_id=image_id)


@bp.post("/images/<image_id>/members/<member_id>/delete")
def remove_member(image_id: str, member_id: str) -> BaseResponse:
    attempt(
        lambda: member_service.delete(unit_of_work(), image_id, member_id),
        f"Project {member_id} is no longer a member.",
    )
    return back("panel.image", image_id=image_id)


@bp.post("/images/<image_id>/members/<member_id>/status")
def member_status(image_id: str, member_id: str) -> BaseResponse:
    """Accept, reject or set back to pending (the member itself, or an admin)."""
    status = request.form.get("status", "")
    done = attempt(
        lambda: member_service.update(unit_of_work(), image_id, member_id, {"status": status}),
        f"Membership of {member_id} is now {status}.",
    )
    target = request.form.get("back")
    if target in ("invitations", "rejected", "shared") and not done:
        return back("panel.images", tab=target)
    if target in ("invitations", "rejected", "shared"):
        return back("panel.images", tab="shared" if status == "accepted" else target)
    return back("panel.image", image_id=image_id)


@bp.post("/answer")
def answer_by_id() -> BaseResponse:
    """Accept or reject an offer by image ID, as ``openstack image set --accept ID`` does:
    the way in when the offer is not listed (the strict sharing profile hides it)."""
    image_id = request.form.get("image_id", "").strip()
    status = request.form.get("status", "")
    project_id = user().project_id or ""
    done = attempt(
        lambda: member_service.update(unit_of_work(), image_id, project_id, {"status": status}),
        f"Your membership of image {image_id} is now {status}.",
    )
    return back("panel.images", tab="shared" if done and status == "accepted" else "invitations")


@bp.post("/images/<image_id>/visibility")
def set_visibility(image_id: str) -> BaseResponse:
    visibility = request.form.get("visibility", "")
    # What openstack image set --public sends: a v2.1 (draft 10) JSON patch.
    patch = [{"op": "replace", "path": "/visibility", "value": visibility}]
    attempt(
        lambda: image_service.update(unit_of_work(), image_id, PATCH_DRAFT, patch),
        f"Visibility is now {visibility}.",
    )
    return back("panel.image", image_id=image_id)


@bp.post("/images/<image_id>/deactivate")
def deactivate(image_id: str) -> BaseResponse:
    attempt(lambda: image_service.deactivate(unit_of_work(), image_id), "Image deactivated.")
    return back("panel.image", image_id=image_id)


@bp.post("/images/<image_id>/reactivate")
def reactivate(image_id: str) -> BaseResponse:
    attempt(lambda: image_service.reactivate(unit_of_work(), image_id), "Image reactivated.")
    return back("panel.image", image_id=image_id)


@bp.post("/images/<image_id>/delete")
def delete(image_id: str) -> BaseResponse:
    if attempt(lambda: image_service.delete(unit_of_work(), image_id), "Image deleted."):
        return back("panel.images")
    return back("panel.image", image_id=image_id)


def _stream_chunks(stream: object) -> Iterator[bytes]:
    while True:
        try:
            chunk = stream.read(image_data.WRITE_CHUNK_SIZE)  # type: ignore[attr-defined]
        except ClientDisconnected:
            return
        except (ValueError, OSError) as exc:
            raise errors.BadRequest("The request body could not be read.") from exc
        if not chunk:
            return
        yield chunk


def _upload_source() -> tuple[Iterable[bytes], int | None]:
    """A form's file (multipart, spooled to disk by werkzeug as it arrives) or, from the
    progress script, the file itself as the body (streamed straight to the image)."""
    if request.mimetype == "multipart/form-data":
        sent = request.files.get("file")
        if sent is None or not sent.filename:
            raise errors.BadRequest("Choose a file to upload.")
        return _stream_chunks(sent.stream), None
    if request.mimetype != "application/octet-stream":
        raise errors.UnsupportedMediaType(
            "Send the file as the form does (multipart/form-data) or as the body "
            "(application/octet-stream)."
        )
    return _stream_chunks(request.stream), request.content_length


@bp.post("/images/<image_id>/file")
def upload(image_id: str) -> BaseResponse:
    def run() -> None:
        chunks, size = _upload_source()
        image_data.upload(unit_of_work(), image_id, chunks, size)

    if request.mimetype != "application/octet-stream":
        attempt(run, "Data uploaded: the image is active.")
        return back("panel.image", image_id=image_id)
    # The progress script: it reloads the image page itself, which shows the outcome (a
    # redirect would be followed inside the script and use the message up).
    if not attempt(run, "Data uploaded: the image is active."):
        _drain()
    return Response(status=204)


def _drain() -> None:
    """Read what is left of a refused upload (as the API's upload does), so the browser
    reads the answer instead of a reset connection."""
    for _ in zip(range(DRAIN_CHUNKS), _stream_chunks(request.stream), strict=False):
        pass


@bp.get("/images/<image_id>/download")
def download(image_id: str) -> BaseResponse:
    result = image_data.download(unit_of_work(), image_id)
    if not result.has_data:
        result.close()
        flash("This image has no data to download.", "error")
        return back("panel.image", image_id=image_id)
    extension = result.image.disk_format or "img"
    response = Response(
        result.chunks(),
        headers={
            "Content-Length": str(result.length),
            "Content-Disposition": f'attachment; filename="{result.image.id}.{extension}"',
        },
        content_type="application/octet-stream",
        direct_passthrough=True,
    )
    response.call_on_close(result.close)
    return response
