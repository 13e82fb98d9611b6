"""The branding checks without a database: WCAG contrast, the suggested shade, the page
palette, and what an uploaded image must be (docs/guide.md, "Branding")."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from slotwise.core import branding
from tests.support.images import (
    PRIVATE,
    SVG,
    image_bytes,
    large_upload,
    photo_with_metadata,
    upload,
)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        # Published WCAG examples: #767676 is the lightest grey passing 4.5:1 on white.
        ("#767676", "#ffffff", 4.54),
        ("#777777", "#ffffff", 4.48),
        ("#2451c7", "#ffffff", 6.83),
    ],
)
def test_contrast_ratio_follows_wcag(first: str, second: str, expected: float) -> None:
    assert branding.contrast_ratio(first, second) == pytest.approx(expected, abs=0.02)
    assert branding.contrast_ratio(second, first) == branding.contrast_ratio(first, second)


def test_ratio_is_rounded_down_so_a_failing_colour_never_reads_as_passing() -> None:
    assert branding.ratio_words(4.4999) == "4.49:1"
    assert branding.ratio_words(21.0) == "21.00:1"


@pytest.mark.parametrize(
    ("given", "stored"),
    [("#0B6E4F", "#0b6e4f"), ("0b6e4f", "#0b6e4f"), ("#a1b", "#aa11bb"), (" #123456 ", "#123456")],
)
def test_hex_codes_are_normalised(given: str, stored: str) -> None:
    assert branding.normalise_hex(given) == stored


@pytest.mark.parametrize(
    "given", ["", "red", "#12345", "#1234567", "#ggg000", "#123456;}body{x:y", "url(x)"]
)
def test_anything_but_a_hex_code_is_refused(given: str) -> None:
    assert branding.normalise_hex(given) is None
    with pytest.raises(ValidationError) as refused:
        branding.validate_accent(given)
    assert refused.value.code == "accent_not_hex"


def test_a_light_colour_is_refused_with_its_ratio_and_a_darker_shade_that_passes() -> None:
    with pytest.raises(ValidationError) as refused:
        branding.validate_accent("#ffcc00")
    message = refused.value.messages[0]
    assert refused.value.code == "accent_low_contrast"
    assert "1.51:1" in message and "4.5:1" in message
    suggestion = branding.darker_shade("#ffcc00")
    assert suggestion in message
    assert branding.contrast_ratio(suggestion, "#ffffff") >= 4.5
    assert branding.validate_accent(suggestion) == suggestion


def test_a_colour_just_below_the_line_is_refused_and_one_just_above_accepted() -> None:
    with pytest.raises(ValidationError, match=r"4\.47:1"):
        branding.validate_accent("#777777")
    assert branding.validate_accent("#767676") == "#767676"


def test_the_darker_shade_keeps_a_passing_colour_as_it_is() -> None:
    assert branding.darker_shade("#2451c7") == "#2451c7"


def test_the_palette_of_the_default_blue_is_close_to_site_css() -> None:
    colours = branding.palette(branding.DEFAULT_ACCENT)
    assert colours.accent_soft == "#e9eef9"  # site.css: #e8eefc
    assert colours.accent_line == "#9fb2e6"  # site.css: #9fb3e6
    css = colours.css()
    assert css.startswith(":root {") and "--accent: #2451c7;" in css and "--focus:" in css


@pytest.mark.parametrize("accent", ["#0b6e4f", "#767676", "#8a1538", "#000000", "#5b21b6"])
def test_text_in_the_dark_shade_stays_readable_on_the_soft_tint(accent: str) -> None:
    colours = branding.palette(accent)
    assert branding.contrast_ratio(colours.accent_dark, colours.accent_soft) >= 4.5


@pytest.mark.parametrize(("kind", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_png_jpeg_and_webp_are_accepted(kind: str, ext: str) -> None:
    assert branding.image_check(upload(f"x.{ext}", kind)) == ext


def test_an_image_over_2_mb_is_refused_with_its_size() -> None:
    with pytest.raises(ValidationError) as refused:
        branding.image_check(large_upload(megabytes=2.5))
    assert refused.value.code == "image_too_large"
    assert "2.5 MB" in refused.value.messages[0] and "2.0 MB" in refused.value.messages[0]


def test_sizes_are_written_the_readers_way() -> None:
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        branding.image_check(large_upload(megabytes=2.5))
    assert "2,5\u202fMo" in refused.value.messages[0] and "2,0\u202fMo" in refused.value.messages[0]


def test_svg_is_refused_even_named_png() -> None:
    for name in ("logo.svg", "logo.png"):
        with pytest.raises(ValidationError) as refused:
            branding.image_check(SimpleUploadedFile(name, SVG, content_type="image/png"))
        assert refused.value.code == "image_svg"


def test_other_image_types_are_refused_by_their_bytes_not_their_name() -> None:
    with pytest.raises(ValidationError) as refused:
        branding.image_check(SimpleUploadedFile("logo.png", image_bytes("GIF")))
    assert refused.value.code == "image_type"
    assert "GIF" in refused.value.messages[0]


def test_a_file_that_is_no_image_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        branding.image_check(SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n not really"))
    assert refused.value.code == "image_unreadable"


def test_a_huge_bitmap_in_a_small_file_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        branding.image_check(upload(size=(7000, 10)))
    assert refused.value.code == "image_dimensions"


def test_the_check_leaves_the_file_at_its_start_for_saving() -> None:
    data = image_bytes()
    stream = SimpleUploadedFile("a.png", data)
    branding.image_check(stream)
    assert stream.read() == data


def test_stored_names_are_random_and_keep_only_image_extensions() -> None:
    first = branding.business_image_path(None, "logo.png")
    second = branding.business_image_path(None, "logo.png")
    assert first != second and first.startswith("branding/") and first.endswith(".png")
    assert branding.catalog_photo_path(None, "../../etc/passwd.html").endswith(".bin")
    assert branding.catalog_photo_path(None, "x.webp").startswith("photos/")
    assert len(first.split("/")[1].split(".")[0]) == 32


# --- what is stored of an upload ----------------------------------------------------------------


@pytest.mark.parametrize(("kind", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_stored_images_keep_no_metadata_and_stand_upright(kind: str, ext: str) -> None:
    from PIL import Image

    sent = photo_with_metadata(kind)
    assert PRIVATE.encode() in sent  # the metadata is there to be removed
    with Image.open(io.BytesIO(sent)) as before:
        assert before.getexif().get(0x0112) == 6 and before.size == (200, 100)

    upload_ = SimpleUploadedFile(f"p.{ext}", sent)
    assert branding.image_check(upload_) == ext
    stored = branding.without_metadata(upload_, ext)

    assert PRIVATE.encode() not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as after:
        assert after.format == kind
        assert not after.getexif()
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "Comment"} & set(after.info)
        assert after.info.get("icc_profile")  # the colour profile stays
        # Orientation 6 applied: the 200 × 100 photo is now 100 × 200, and its left
        # (red) half is on top.
        assert after.size == (100, 200)
        top, bottom = after.convert("RGB").getpixel((50, 10)), after.getpixel((50, 190))
        assert top[0] > 150 and top[1] < 120, top
        assert bottom[0] < 60 and bottom[1] > 80, bottom
    assert upload_.tell() == 0


def test_an_upright_jpeg_keeps_its_own_quality() -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "#123456").save(buffer, format="JPEG", quality=35)
    sent = buffer.getvalue()
    stored = branding.without_metadata(SimpleUploadedFile("p.jpg", sent), "jpg")
    with Image.open(io.BytesIO(sent)) as before, Image.open(io.BytesIO(stored)) as after:
        assert after.quantization == before.quantization  # not raised to 90: no bigger file


def test_an_animated_image_keeps_its_frames() -> None:
    from PIL import Image

    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(
        buffer, format="WEBP", save_all=True, append_images=frames[1:], duration=200, loop=0
    )
    stored = branding.without_metadata(SimpleUploadedFile("a.webp", buffer.getvalue()), "webp")
    with Image.open(io.BytesIO(stored)) as after:
        assert after.n_frames == 3


def test_a_jpeg_comment_is_not_kept() -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "#123456").save(buffer, format="JPEG", comment=PRIVATE.encode())
    assert PRIVATE.encode() in buffer.getvalue()
    stored = branding.without_metadata(SimpleUploadedFile("p.jpg", buffer.getvalue()), "jpg")
    assert PRIVATE.encode() not in stored
    with Image.open(io.BytesIO(stored)) as after:
        assert "comment" not in after.info


def test_a_lossless_webp_stays_lossless_and_a_lossy_one_lossy() -> None:
    from PIL import Image

    noise = Image.effect_noise((64, 64), 80).convert("RGB")
    for lossless in (True, False):
        buffer = io.BytesIO()
        noise.save(buffer, format="WEBP", lossless=lossless, quality=50)
        stored = branding.without_metadata(SimpleUploadedFile("p.webp", buffer.getvalue()), "webp")
        assert branding._webp_lossless(stored) is lossless
        with Image.open(io.BytesIO(stored)) as after:
            same = after.convert("RGB").tobytes() == noise.tobytes()
        assert same is lossless


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_an_animation_keeps_each_frames_duration(kind: str) -> None:
    from PIL import Image, ImageSequence

    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format=kind,
        save_all=True,
        append_images=frames[1:],
        duration=[100, 500, 1000],
        loop=0,
    )
    ext = branding.IMAGE_FORMATS[kind]
    stored = branding.without_metadata(SimpleUploadedFile(f"a.{ext}", buffer.getvalue()), ext)
    with Image.open(io.BytesIO(stored)) as after:
        durations = []
        for frame in ImageSequence.Iterator(after):
            frame.load()
            durations.append(frame.info.get("duration"))
        assert durations == [100, 500, 1000]


def test_a_cut_off_jpeg_is_refused_not_a_server_error() -> None:
    whole = image_bytes("JPEG", size=(400, 300))
    cut = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2])
    assert branding.image_check(cut) == "jpg"  # the header reads fine
    with pytest.raises(ValidationError) as refused:
        branding.without_metadata(cut, "jpg")
    assert refused.value.code == "image_unreadable"


def test_an_animation_too_large_in_all_its_frames_is_refused(monkeypatch) -> None:
    from PIL import Image

    monkeypatch.setattr(branding, "MAX_TOTAL_PIXELS", 1_000)
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="WEBP", save_all=True, append_images=frames[1:])
    with pytest.raises(ValidationError) as refused:
        branding.image_check(SimpleUploadedFile("a.webp", buffer.getvalue()))
    assert refused.value.code == "image_dimensions"
    assert "3 frames of 20 × 20 pixels" in str(refused.value.message % refused.value.params)
