"""A business's own look: its accent colour (checked for legibility) and uploaded images.

Pure helpers, no models: the colour arithmetic follows WCAG 2.2 (relative luminance and
contrast ratio); the image check reads the file's bytes with Pillow, never its name or the
browser's content type, so a renamed SVG or HTML file is refused whatever it claims to be.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from slotwise.core import i18n

#: The accent of the customer pages when a business has chosen none (site.css ``--accent``).
DEFAULT_ACCENT = "#2451c7"
#: The accent of the HTML emails when a business has chosen none (their button colour).
DEFAULT_EMAIL_ACCENT = "#1d4ed8"
#: WCAG 2.2 AA for normal text: white text on the accent, and the accent as text on white.
MIN_CONTRAST = 4.5
WHITE = "#ffffff"

#: Largest image accepted, in bytes (logo, cover, service and provider photos).
MAX_IMAGE_BYTES = 2 * 1024 * 1024
#: Largest side in pixels: a small file can still decode to a huge bitmap.
MAX_IMAGE_SIDE = 6000
#: The formats accepted (Pillow's names) and the file extension each is stored with.
IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
#: The EXIF tag telling a viewer how to turn the pixels to show the picture upright.
_ORIENTATION = 0x0112
#: The most pixels an upload may decode to, all frames of an animation together.
MAX_TOTAL_PIXELS = 60_000_000
_UNREADABLE = _("This file is not an image we can read. Upload a PNG, JPEG or WebP image.")
#: Upper bound of a business's short description (characters).
DESCRIPTION_MAX = 300

_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


# --- colours ------------------------------------------------------------------------------


def normalise_hex(value: str) -> str | None:
    """``#abc``, ``abc``, ``#AABBCC`` → ``#aabbcc``; anything else → None."""
    found = _HEX.match(value.strip())
    if found is None:
        return None
    digits = found.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return f"#{digits}"


def _rgb(hex_value: str) -> tuple[int, int, int]:
    digits = hex_value.lstrip("#")
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def relative_luminance(hex_value: str) -> float:
    """WCAG relative luminance of an sRGB colour (0 black … 1 white)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(hex_value)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    a, b = relative_luminance(first), relative_luminance(second)
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def ratio_words(ratio: float) -> str:
    """The ratio as people read it, rounded down so 4.497 never shows as a passing 4.50."""
    return f"{math.floor(ratio * 100) / 100:.2f}:1"


def darker_shade(hex_value: str, *, against: str = WHITE, target: float = MIN_CONTRAST) -> str:
    """The same hue darkened just enough to reach ``target`` contrast against ``against``."""
    r, g, b = _rgb(hex_value)
    factor = 1.0
    candidate = hex_value
    while contrast_ratio(candidate, against) < target and factor > 0:
        factor = round(factor - 0.02, 2)
        candidate = _hex((r * factor, g * factor, b * factor))
    return candidate


def _mix(hex_value: str, other: str, share: float) -> str:
    """``share`` of ``hex_value`` mixed into ``other``."""
    (r1, g1, b1), (r2, g2, b2) = _rgb(hex_value), _rgb(other)
    rest = 1 - share
    return _hex((r1 * share + r2 * rest, g1 * share + g2 * rest, b1 * share + b2 * rest))


def validate_accent(value: str) -> str:
    """The normalised colour, or a ``ValidationError`` saying what is wrong with it.

    Too light a colour is refused with its ratio and a darker shade of the same hue that
    passes, so the owner can keep their colour family with one click.
    """
    colour = normalise_hex(value)
    if colour is None:
        raise ValidationError(
            _("Enter a colour as a hex code such as #2451c7."), code="accent_not_hex"
        )
    ratio = contrast_ratio(colour, WHITE)
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            _(
                "%(colour)s has a contrast of %(ratio)s against white; at least 4.5:1 is "
                "needed so text and buttons stay readable. Try %(suggestion)s, a darker "
                "shade of the same colour."
            ),
            code="accent_low_contrast",
            params={
                "colour": colour,
                "ratio": ratio_words(ratio),
                "suggestion": darker_shade(colour),
            },
        )
    return colour


@dataclass(frozen=True)
class Palette:
    """The colours the customer pages derive from one accent."""

    accent: str
    #: Hover states and text on ``accent_soft`` (free days in the calendar).
    accent_dark: str
    #: Light backgrounds: free days, hovered options, notes.
    accent_soft: str
    #: The faintest tint (a chosen option), the hover of a free day, borders, the focus ring.
    accent_tint: str
    accent_hover: str
    accent_line: str
    accent_line_strong: str
    accent_edge: str
    focus: str

    def css(self) -> str:
        """The ``:root`` rule that gives the customer pages (site.css) these colours."""
        names = {
            "accent": self.accent,
            "accent-dark": self.accent_dark,
            "accent-soft": self.accent_soft,
            "accent-tint": self.accent_tint,
            "accent-hover": self.accent_hover,
            "accent-line": self.accent_line,
            "accent-line-strong": self.accent_line_strong,
            "accent-edge": self.accent_edge,
            "focus": self.focus,
        }
        return ":root {\n" + "".join(f"  --{k}: {v};\n" for k, v in names.items()) + "}\n"


def palette(accent: str) -> Palette:
    """The page colours for a (valid) accent, in the proportions of the Slotwise blue's own
    (site.css): a darker shade for hover and text, and lighter tints for backgrounds."""
    soft = _mix(accent, WHITE, 0.1)
    dark = _mix(accent, "#000000", 0.75)
    # The dark shade is read as text on the soft tint; keep it legible there too.
    dark = darker_shade(dark, against=soft)
    return Palette(
        accent=accent,
        accent_dark=dark,
        accent_soft=soft,
        accent_tint=_mix(accent, WHITE, 0.04),
        accent_hover=_mix(accent, WHITE, 0.2),
        accent_line=_mix(accent, WHITE, 0.44),
        accent_line_strong=_mix(accent, WHITE, 0.53),
        accent_edge=_mix(accent, WHITE, 0.32),
        focus=_mix(accent, WHITE, 0.75),
    )


# --- images -------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    """A file size in the reader's language (``2.0 MB``, ``2,0 Mo``)."""
    from babel.units import format_unit

    return str(
        format_unit(
            round(size / (1024 * 1024), 1),
            "digital-megabyte",
            length="short",
            format="#,##0.0",
            locale=i18n.locale(),
        )
    )


def image_check(upload: IO[bytes] | Any, *, max_bytes: int = MAX_IMAGE_BYTES) -> str:
    """Check an uploaded image and return the extension to store it with (png, jpg, webp).

    Refused, with a message for the form: files over ``max_bytes``, SVG (it can carry
    scripts), anything Pillow cannot read, formats other than PNG, JPEG and WebP, and
    images with a side over ``MAX_IMAGE_SIDE`` pixels.
    """
    # Imported here so that a process that never checks an upload never loads Pillow.
    from PIL import Image, UnidentifiedImageError

    size = int(getattr(upload, "size", 0) or 0)
    if size > max_bytes:
        raise ValidationError(
            _("This file is %(size)s; images can be at most %(limit)s."),
            code="image_too_large",
            params={"size": _megabytes(size), "limit": _megabytes(max_bytes)},
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if head.lstrip().startswith(b"<") or b"<svg" in head.lower():
        raise ValidationError(
            _("SVG and other text files are not accepted. Upload a PNG, JPEG or WebP image."),
            code="image_svg",
        )
    try:
        with Image.open(upload) as image:
            kind = image.format or ""
            width, height = image.size
            frames = getattr(image, "n_frames", 1)
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_UNREADABLE, code="image_unreadable") from None
    finally:
        upload.seek(0)
    if kind not in IMAGE_FORMATS:
        if not kind:
            raise ValidationError(
                _("This type of image is not accepted. Upload a PNG, JPEG or WebP image."),
                code="image_type",
            )
        raise ValidationError(
            _("%(kind)s images are not accepted. Upload a PNG, JPEG or WebP image."),
            code="image_type",
            params={"kind": kind},
        )
    if max(width, height) > MAX_IMAGE_SIDE:
        raise ValidationError(
            _("The image is %(width)d × %(height)d pixels; at most %(limit)d on a side."),
            code="image_dimensions",
            params={"width": width, "height": height, "limit": MAX_IMAGE_SIDE},
        )
    if frames * width * height > MAX_TOTAL_PIXELS:
        raise ValidationError(
            _(
                "This animation has %(frames)d frames of %(width)d × %(height)d pixels; at most "
                "%(limit)d million pixels in all."
            ),
            code="image_dimensions",
            params={
                "frames": frames,
                "width": width,
                "height": height,
                "limit": MAX_TOTAL_PIXELS // 1_000_000,
            },
        )
    return IMAGE_FORMATS[kind]


def without_metadata(upload: IO[bytes] | Any, ext: str) -> bytes:
    """The image's bytes as stored: turned upright, with its metadata left out.

    Photos from a phone carry EXIF (often where and when they were taken, and the camera's
    serial number), XMP and comments; none of that should reach a public page. The pixels
    are written again in the same format: PNG losslessly, JPEG with its own quantisation
    tables where it needs no turning (quality 90 otherwise), WebP lossless when it came so
    (else at quality 90). An EXIF orientation is applied to the pixels first, so a portrait
    photo stays upright without it. The colour profile (ICC) is kept, and an animation keeps
    its frames and each frame's duration. ``upload`` must have passed ``image_check``; a file
    that cannot be decoded after all (a cut-off JPEG) is refused like an unreadable one.
    """
    from io import BytesIO

    from PIL import Image, ImageOps, ImageSequence

    kind = {ext_: kind_ for kind_, ext_ in IMAGE_FORMATS.items()}[ext]
    upload.seek(0)
    raw = upload.read()
    upload.seek(0)
    out = BytesIO()
    try:
        with Image.open(BytesIO(raw)) as original:
            original.load()
            frames = getattr(original, "n_frames", 1)
            turned = frames == 1 and original.getexif().get(_ORIENTATION, 1) != 1
            image = ImageOps.exif_transpose(original) if turned else original
            options: dict[str, Any] = {"format": kind}
            profile = original.info.get("icc_profile")
            if profile:
                options["icc_profile"] = profile
            if kind == "JPEG":
                options["quality"] = "keep" if image is original else 90
                options["comment"] = b""  # Pillow would copy the original's comment
            elif kind == "WEBP":
                options["lossless"] = _webp_lossless(raw)
                options["quality"] = 90
            if frames > 1:
                durations = []
                for frame in ImageSequence.Iterator(original):
                    frame.load()  # WebP says a frame's duration once it is decoded
                    durations.append(frame.info.get("duration", 0))
                original.seek(0)
                options.update(save_all=True, duration=durations)
                if "loop" in original.info:
                    options["loop"] = original.info["loop"]
            image.save(out, **options)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(_UNREADABLE, code="image_unreadable") from None
    return out.getvalue()


def _webp_lossless(data: bytes) -> bool:
    """Whether a WebP file holds lossless (``VP8L``) image data, read from its RIFF chunks
    (an animation's frames are chunks inside ``ANMF`` chunks). Pillow does not say."""

    def chunks(start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
        at = start
        while at + 8 <= end:
            size = int.from_bytes(data[at + 4 : at + 8], "little")
            yield data[at : at + 4], at + 8, min(at + 8 + size, end)
            at += 8 + size + (size & 1)

    for fourcc, begin, stop in chunks(12, len(data)):
        if fourcc == b"VP8L":
            return True
        if fourcc == b"ANMF" and any(
            inner == b"VP8L" for inner, _b, _e in chunks(begin + 16, stop)
        ):
            return True
    return False


def random_image_name(folder: str, filename: str) -> str:
    """``folder/<32 random hex>.<ext>``: stored names reveal nothing and cannot be guessed.

    The extension is the one ``image_check`` chose (the form renames the upload to it); any
    other is replaced, so a stored file is never served as something other than an image.
    """
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in IMAGE_FORMATS.values():
        ext = "bin"
    return f"{folder}/{secrets.token_hex(16)}.{ext}"


def business_image_path(instance: Any, filename: str) -> str:
    """``upload_to`` of a business's logo and cover image."""
    return random_image_name("branding", filename)


def catalog_photo_path(instance: Any, filename: str) -> str:
    """``upload_to`` of service and provider photos."""
    return random_image_name("photos", filename)
