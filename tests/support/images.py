"""Small image files for upload tests, made with Pillow in memory."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="10" height="10" fill="red"/></svg>'
)


def image_bytes(
    kind: str = "PNG", size: tuple[int, int] = (120, 40), colour: str = "#0b6e4f"
) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=kind)
    return buffer.getvalue()


def upload(name: str = "logo.png", kind: str = "PNG", **kw: object) -> SimpleUploadedFile:
    """An uploaded image file as a form receives it."""
    return SimpleUploadedFile(name, image_bytes(kind, **kw), content_type=f"image/{kind.lower()}")


def large_upload(name: str = "big.png", megabytes: float = 2.5) -> SimpleUploadedFile:
    """A real PNG padded past the size limit (the bytes after IEND are ignored by readers)."""
    data = image_bytes() + b"\0" * int(megabytes * 1024 * 1024)
    return SimpleUploadedFile(name, data, content_type="image/png")
