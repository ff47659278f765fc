"""Image files for photo tests: honest photos with metadata, and hostile ones."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def jpeg_with_metadata(size: tuple[int, int] = (1200, 800), orientation: int = 6) -> bytes:
    """A JPEG carrying GPS-like EXIF, a camera model, a comment and an orientation tag."""
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[0x0110] = "SecretCam 3000"  # Model
    exif[0x0112] = orientation  # Orientation: rotate 90° to show upright
    exif[0x8825] = {1: "N", 2: (45.0, 30.0, 0.0)}  # GPS IFD (latitude)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def png_with_alpha(size: tuple[int, int] = (300, 500)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 255, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def gif(size: tuple[int, int] = (200, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size).save(out, format="GIF")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A few hundred bytes declaring ten billion pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


def truncated_jpeg() -> bytes:
    """A photo whose header is intact but whose pixels stop three quarters of the way."""
    image = Image.effect_noise((400, 400), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG")
    data = out.getvalue()
    return data[: len(data) * 3 // 4]
