"""Profile photos: what a person uploads is never what we store or serve.

The upload is checked for what it really is (Pillow reads its header, not its name), refused with
a specific reason if it is not a JPEG, PNG or WebP photo of sensible size, then turned upright,
cropped square, resized and re-encoded as a fresh JPEG: no EXIF (location, camera), no ICC or
XMP, no comments, no trailing bytes survive. It is stored under an unguessable name and served
only through `views.people.person_photo`, which asks `access.get_photo_for_user`."""

from __future__ import annotations

import io
import secrets
import warnings
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from mentorship.accounts.models import User
from programs.models import FacultyProfile
from programs.services.audit import audit_record

PHOTO_MAX_BYTES = 5 * 1024 * 1024
# Pixels a photo may declare before we decode it: a 12-byte header can claim 100 000 x 100 000
# (a "decompression bomb"); a phone's 48-megapixel photo is within this.
PHOTO_MAX_PIXELS = 50_000_000
PHOTO_MIN_SIDE = 64
PHOTO_SIDE = 400  # stored square; cards show it at 48-96 px, so this is sharp on any screen
ALLOWED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
ALLOWED_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}
CHOOSE = "Choose a JPEG, PNG or WebP photo."


def _refuse(message: str) -> ValidationError:
    return ValidationError({"photo": message})


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in text[:512]


def photo_check(*, name: str, size: int, stream: IO[bytes]) -> Image.Image:
    """The decoded image, or a ValidationError on "photo" saying what is wrong with the file."""
    if size > PHOTO_MAX_BYTES:
        raise _refuse(
            f"The photo is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{PHOTO_MAX_BYTES // 1024 // 1024} MB. Choose a smaller file."
        )
    if size == 0:
        raise _refuse(f"The file is empty. {CHOOSE}")
    head = stream.read(1024)
    stream.seek(0)
    extension = _extension(name)
    if extension == ".svg" or _looks_like_svg(head):
        raise _refuse(f"SVG drawings cannot be used as a photo. {CHOOSE}")
    if extension not in ALLOWED_EXTENSIONS:
        raise _refuse(
            f"“{name[-60:]}” is not a photo file we accept"
            f" (it ends in “{extension or 'no extension'}”). {CHOOSE}"
        )
    with warnings.catch_warnings():
        # Pillow warns (rather than fails) between its limit and twice it; both are refusals.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        too_big = _refuse(
            f"The photo is larger than {PHOTO_MAX_PIXELS // 1_000_000} megapixels. "
            "Choose a smaller photo."
        )
        try:
            image = Image.open(stream, formats=list(ALLOWED_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise _refuse(
                f"This file is not a JPEG, PNG or WebP image, whatever its name says. {CHOOSE}"
            ) from None
        width, height = image.size
        if width * height > PHOTO_MAX_PIXELS:
            raise too_big
        if min(width, height) < PHOTO_MIN_SIDE:
            raise _refuse(
                f"The photo is only {width} × {height} pixels; it needs to be at least "
                f"{PHOTO_MIN_SIDE} × {PHOTO_MIN_SIDE}."
            )
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning):
            raise _refuse(
                f"This image is damaged or incomplete, so it cannot be read. {CHOOSE}"
            ) from None
    return image


def photo_encode(image: Image.Image) -> bytes:
    """Upright, square, PHOTO_SIDE pixels, flattened onto white, as a metadata-free JPEG."""
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    square = ImageOps.fit(image.convert("RGB"), (PHOTO_SIDE, PHOTO_SIDE), Image.Resampling.LANCZOS)
    # A new image from the pixels alone: nothing of the original's info dict can follow it.
    clean = Image.new("RGB", square.size)
    clean.paste(square)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def _delete_later(name: str | None) -> None:
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


@transaction.atomic
def profile_photo_set(
    *, profile: FacultyProfile, name: str, size: int, stream: IO[bytes], by: User
) -> FacultyProfile:
    """Replace the person's photo with a checked, re-encoded copy of the upload."""
    if profile.user_id != by.pk:
        raise ValidationError("Only the person can change their own photo.")
    data = photo_encode(photo_check(name=name, size=size, stream=stream))
    profile = FacultyProfile.objects.select_for_update().get(pk=profile.pk)
    old = profile.photo.name
    stored = default_storage.save(
        f"profile-photos/{secrets.token_urlsafe(24)}.jpg", ContentFile(data)
    )
    profile.photo.name = stored
    profile.save(update_fields=["photo", "updated_at"])
    _delete_later(old)
    audit_record(actor=by, verb="profile.photo", target=profile)
    return profile


@transaction.atomic
def profile_photo_remove(*, profile: FacultyProfile, by: User) -> FacultyProfile:
    """Back to the initials."""
    if profile.user_id != by.pk:
        raise ValidationError("Only the person can remove their own photo.")
    profile = FacultyProfile.objects.select_for_update().get(pk=profile.pk)
    old = profile.photo.name
    if not old:
        return profile
    profile.photo.name = ""
    profile.save(update_fields=["photo", "updated_at"])
    _delete_later(old)
    audit_record(actor=by, verb="profile.photo_remove", target=profile)
    return profile
