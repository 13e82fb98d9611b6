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


#: Written into every metadata field of ``photo_with_metadata``; never in a stored file.
PRIVATE = "Kreuzberg 52.4986N 13.4030E serial 0042-PRIVATE"


def photo_with_metadata(kind: str = "JPEG", size: tuple[int, int] = (200, 100)) -> bytes:
    """A photo as a phone hands it over: EXIF with an orientation (6: turn 90° clockwise to
    view), the camera, a description and GPS coordinates, plus XMP and, for PNG, text chunks;
    a colour profile (sRGB) too. The private words are ``PRIVATE``."""
    from PIL import Image, ImageCms
    from PIL.PngImagePlugin import PngInfo

    image = Image.new("RGB", size, "#0b6e4f")
    image.paste("#d94f2a", (0, 0, size[0] // 2, size[1]))  # left half red: shows the turning
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = PRIVATE  # Make
    exif[0x010E] = PRIVATE  # ImageDescription
    exif[0x8825] = {1: "N", 2: (52.0, 29.0, 55.0), 3: "E", 4: (13.0, 24.0, 11.0)}  # GPS
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>{PRIVATE}</rdf:Description>'
    xmp += "</x:xmpmeta>"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    options: dict[str, object] = {"format": kind, "exif": exif.tobytes(), "icc_profile": profile}
    if kind == "PNG":
        info = PngInfo()
        info.add_text("Comment", PRIVATE)
        info.add_itxt("XML:com.adobe.xmp", xmp)
        options["pnginfo"] = info
    else:
        options["xmp"] = xmp.encode()
    buffer = io.BytesIO()
    image.save(buffer, **options)
    return buffer.getvalue()
