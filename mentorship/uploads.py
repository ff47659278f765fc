"""Refuse oversized uploads early, without storing (or reading on) a file we will refuse.

Django would otherwise stream a 50 MB upload to a temporary file before any view could look at
its size. This handler runs first: when the request announces a body larger than the limit, it
stops at the first file chunk (the form fields before the file — the CSRF token — are already
read) and marks the request, so the view can say "too large" instead of "no file"."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

TOO_LARGE_ATTR = "upload_too_large"


def upload_was_too_large(request: Any) -> bool:
    return bool(getattr(request, TOO_LARGE_ATTR, False))


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.limit = settings.MENTORSHIP_MAX_UPLOAD_BYTES
        self.received = 0
        self.announced_too_large = False

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        # The multipart framing adds a little; a body this much larger cannot hold a legal file.
        self.announced_too_large = content_length > self.limit + 64 * 1024
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if self.announced_too_large:
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _refuse(self) -> None:
        if self.request is not None:
            setattr(self.request, TOO_LARGE_ATTR, True)
        # Stop reading the body: the rest of the file is never read, let alone stored.
        raise StopUpload(connection_reset=True)
