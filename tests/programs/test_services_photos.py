"""Profile photos: the upload is checked for what it really is, and only a clean re-encoded copy
is stored."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image

from programs.models import AuditEvent
from programs.services.photos import (
    PHOTO_SIDE,
    profile_photo_remove,
    profile_photo_set,
)
from tests.photo_files import (
    SVG,
    gif,
    jpeg_with_metadata,
    png_bomb,
    png_with_alpha,
    truncated_jpeg,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _set(user, data: bytes, name: str = "me.jpg", size: int | None = None):
    return profile_photo_set(
        profile=user.profile,
        name=name,
        size=len(data) if size is None else size,
        stream=io.BytesIO(data),
        by=user,
    )


def _refusal(user, data: bytes, **kwargs) -> str:
    with pytest.raises(ValidationError) as error:
        _set(user, data, **kwargs)
    return " ".join(error.value.message_dict["photo"])


def test_a_photo_is_stored_square_upright_and_without_metadata(mentee):
    profile = _set(mentee, jpeg_with_metadata())
    name = profile.photo.name
    assert name.startswith("profile-photos/")
    assert name.endswith(".jpg")
    assert len(name.rsplit("/", 1)[-1]) >= 32  # unguessable, not the uploaded name
    with default_storage.open(name) as stored:
        raw = stored.read()
    image = Image.open(io.BytesIO(raw))
    assert image.format == "JPEG"
    assert image.size == (PHOTO_SIDE, PHOTO_SIDE)
    assert not image.getexif()
    assert "exif" not in image.info
    assert "comment" not in image.info
    assert b"SecretCam" not in raw
    assert b"taken at home" not in raw
    assert AuditEvent.objects.filter(verb="profile.photo").count() == 1


def test_a_transparent_png_is_flattened_onto_white(mentee):
    profile = _set(mentee, png_with_alpha(), name="me.png")
    with default_storage.open(profile.photo.name) as stored:
        image = Image.open(stored)
        image.load()
    assert image.mode == "RGB"
    assert image.getpixel((10, 10)) == (255, 255, 255)


def test_replacing_a_photo_deletes_the_old_file(mentee):
    first = _set(mentee, jpeg_with_metadata()).photo.name
    second = _set(mentee, png_with_alpha(), name="new.png").photo.name
    assert first != second
    assert not default_storage.exists(first)
    assert default_storage.exists(second)


def test_removing_the_photo_deletes_the_file(mentee):
    name = _set(mentee, jpeg_with_metadata()).photo.name
    profile = profile_photo_remove(profile=mentee.profile, by=mentee)
    assert not profile.photo
    assert not default_storage.exists(name)


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (b"MZ\x90\x00 this is a program", "me.jpg", "not a JPEG, PNG or WebP image"),
        (SVG, "me.svg", "SVG drawings cannot be used"),
        (SVG, "me.png", "SVG drawings cannot be used"),
        (gif(), "me.gif", "ends in “.gif”"),
        (gif(), "me.png", "not a JPEG, PNG or WebP image"),
        (jpeg_with_metadata(), "me.php", "ends in “.php”"),
        (jpeg_with_metadata(), "photo", "no extension"),
        (png_bomb(), "bomb.png", "larger than 50 megapixels"),
        (png_bomb(20_000, 20_000), "big.png", "larger than 50 megapixels"),
        (jpeg_with_metadata(size=(40, 40)), "tiny.jpg", "at least 64 × 64"),
        (truncated_jpeg(), "cut.jpg", "damaged or incomplete"),
        (b"", "empty.jpg", "The file is empty"),
    ],
)
def test_hostile_or_wrong_files_are_refused_with_a_clear_reason(mentee, data, name, says):
    assert says in _refusal(mentee, data, name=name)
    mentee.profile.refresh_from_db()
    assert not mentee.profile.photo


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(mentee):
    assert "the limit is 5 MB" in _refusal(mentee, b"x", size=6 * 1024 * 1024)


def test_nobody_else_can_change_someones_photo(mentee, mentor):
    with pytest.raises(ValidationError):
        profile_photo_set(
            profile=mentee.profile,
            name="x.jpg",
            size=10,
            stream=io.BytesIO(jpeg_with_metadata()),
            by=mentor,
        )
    with pytest.raises(ValidationError):
        profile_photo_remove(profile=mentee.profile, by=mentor)
