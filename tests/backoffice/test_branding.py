"""The "Branding" settings page: what it accepts, what it refuses (and that a refusal
changes nothing), replacing and removing images, and who may use it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from slotwise.core.models import Business
from tests.support.images import (
    PRIVATE,
    SVG,
    image_bytes,
    large_upload,
    photo_with_metadata,
    upload,
)

URL = reverse("backoffice:settings_branding")


def post(client: Client, **fields: object):
    data: dict[str, object] = {"accent_color": "", "description": ""}
    data.update(fields)
    return client.post(URL, data)


def stored(path: str) -> Path:
    return Path(settings.MEDIA_ROOT) / path


def test_the_settings_page_links_to_branding(owner_client, world) -> None:
    body = owner_client.get(reverse("backoffice:settings")).content.decode()
    assert f'href="{URL}"' in body


def test_an_empty_page_says_the_slotwise_look_is_used(owner_client, world) -> None:
    body = owner_client.get(URL).content.decode()
    assert 'enctype="multipart/form-data"' in body
    assert "No logo yet" in body and "Slotwise blue (#2451c7)" in body
    assert 'accept="image/png,image/jpeg,image/webp"' in body


def test_logo_colour_cover_and_description_are_saved(owner_client, world) -> None:
    response = post(
        owner_client,
        logo=upload("My Logo.PNG"),
        cover_image=upload("cover.jpg", "JPEG", size=(600, 200)),
        accent_color="#0B6E4F",
        description="Haircuts and colour since 1998.",
    )
    assert response.status_code == 302
    business = Business.objects.get(pk=world.business.pk)
    assert business.accent_color == "#0b6e4f"
    assert business.description == "Haircuts and colour since 1998."
    # Random names with the type found in the bytes; nothing of the upload's own name.
    assert business.logo.name.startswith("branding/") and business.logo.name.endswith(".png")
    assert "Logo" not in business.logo.name
    assert business.cover_image.name.endswith(".jpg")
    assert stored(business.logo.name).read_bytes().startswith(b"\x89PNG")
    body = owner_client.get(URL).content.decode()
    assert business.logo.url in body and "a contrast of 6." in body


def test_the_uploaded_logo_is_served(owner_client, world) -> None:
    post(owner_client, logo=upload())
    business = Business.objects.get(pk=world.business.pk)
    response = Client().get(business.logo.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "immutable" in response["Cache-Control"]
    assert Client().get("/media/branding/missing.png").status_code == 404


def test_replacing_an_image_deletes_the_old_file_once_committed(
    owner_client, world, django_capture_on_commit_callbacks
) -> None:
    post(owner_client, logo=upload())
    first = Business.objects.get(pk=world.business.pk).logo.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(owner_client, logo=upload("again.webp", "WEBP"))
    # Until the change commits, the page may still show the old file: it stays.
    assert stored(first).exists()
    for callback in callbacks:
        callback()
    second = Business.objects.get(pk=world.business.pk).logo.name
    assert second != first and second.endswith(".webp")
    assert stored(second).exists()
    assert not stored(first).exists()


def test_removing_an_image_deletes_it_and_keeps_the_rest(
    owner_client, world, django_capture_on_commit_callbacks
) -> None:
    post(owner_client, logo=upload(), cover_image=upload("c.png"), accent_color="#0b6e4f")
    before = Business.objects.get(pk=world.business.pk)
    with django_capture_on_commit_callbacks(execute=True):
        post(owner_client, remove_logo="on", accent_color="#0b6e4f")
    after = Business.objects.get(pk=world.business.pk)
    assert not after.logo and not stored(before.logo.name).exists()
    assert after.cover_image.name == before.cover_image.name
    assert after.accent_color == "#0b6e4f"


def test_saving_without_a_file_keeps_the_images(owner_client, world) -> None:
    post(owner_client, logo=upload())
    name = Business.objects.get(pk=world.business.pk).logo.name
    post(owner_client, description="New words")
    business = Business.objects.get(pk=world.business.pk)
    assert business.logo.name == name and business.description == "New words"


def refused(client: Client, world, **fields: object) -> str:
    """Post, expect the form back (200) and nothing changed or stored; return the page."""
    before = Business.objects.get(pk=world.business.pk)
    files_before = sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    response = post(client, description="Should not be saved", **fields)
    assert response.status_code == 200
    after = Business.objects.get(pk=world.business.pk)
    assert (after.logo.name, after.accent_color, after.description) == (
        before.logo.name,
        before.accent_color,
        before.description,
    )
    assert sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) == files_before
    return response.content.decode()


def test_a_logo_over_2_mb_is_refused(owner_client, world) -> None:
    body = refused(owner_client, world, logo=large_upload(megabytes=2.2))
    assert "This file is 2.2 MB; images can be at most 2.0 MB." in body


def test_an_svg_logo_is_refused(owner_client, world) -> None:
    body = refused(
        owner_client, world, logo=SimpleUploadedFile("logo.svg", SVG, content_type="image/svg+xml")
    )
    assert "SVG and other text files are not accepted" in body


def test_a_gif_or_a_text_file_is_refused(owner_client, world) -> None:
    body = refused(owner_client, world, logo=SimpleUploadedFile("a.gif", image_bytes("GIF")))
    assert "GIF images are not accepted. Upload a PNG, JPEG or WebP image." in body
    body = refused(owner_client, world, cover_image=SimpleUploadedFile("c.jpg", b"JFIF hello"))
    assert "not an image we can read" in body


def test_a_bad_colour_is_refused(owner_client, world) -> None:
    body = refused(owner_client, world, accent_color="blue")
    assert "Enter a colour as a hex code such as #2451c7." in body


def test_a_low_contrast_colour_is_refused_naming_its_ratio(owner_client, world) -> None:
    body = refused(owner_client, world, accent_color="#ffcc00", logo=upload())
    assert "#ffcc00 has a contrast of 1.51:1 against white" in body
    assert "at least 4.5:1" in body and "Try #8f7200" in body


def test_a_long_description_is_refused(owner_client, world) -> None:
    body = owner_client.post(URL, {"accent_color": "", "description": "x" * 301}).content.decode()
    assert "at most 300 characters" in body
    assert Business.objects.get(pk=world.business.pk).description == ""


def test_an_upload_body_over_the_upload_limit_is_refused_before_the_view(owner_client, world):
    response = owner_client.post(URL, {"logo": large_upload(megabytes=5.5)})
    assert response.status_code == 413
    assert not Business.objects.get(pk=world.business.pk).logo


def test_other_forms_keep_the_small_body_limit(owner_client, world) -> None:
    response = owner_client.post(
        reverse("backoffice:settings_business"), {"name": "x", "f": large_upload(megabytes=0.5)}
    )
    assert response.status_code == 413


def test_front_desk_staff_cannot_change_branding(staff_client, world) -> None:
    assert staff_client.get(URL).status_code == 403
    response = post(staff_client, accent_color="#0b6e4f")
    assert response.status_code == 403
    assert Business.objects.get(pk=world.business.pk).accent_color == ""


def test_the_page_changes_only_the_signed_in_business(owner_client, world, other_world) -> None:
    other_world.business.accent_color = "#8a1538"
    other_world.business.description = "Globex"
    other_world.business.save()
    post(owner_client, accent_color="#0b6e4f", description="Acme", logo=upload())
    ours = Business.objects.get(pk=world.business.pk)
    theirs = Business.objects.get(pk=other_world.business.pk)
    assert (ours.accent_color, ours.description) == ("#0b6e4f", "Acme")
    assert (theirs.accent_color, theirs.description, theirs.logo.name) == (
        "#8a1538",
        "Globex",
        "",
    )
    body = owner_client.get(URL).content.decode()
    assert "#8a1538" not in body and "Globex" not in body


# --- service and provider photos ------------------------------------------------------------


def test_a_provider_photo_is_uploaded_replaced_and_removed(
    owner_client, world, django_capture_on_commit_callbacks
) -> None:
    url = reverse("backoffice:settings_provider_photo", args=[world.alex.pk])
    edit = reverse("backoffice:settings_provider_edit", args=[world.alex.pk])
    assert url in owner_client.get(edit).content.decode()
    assert owner_client.post(url, {"photo": upload("me.jpg", "JPEG")}).status_code == 302
    first = type(world.alex).objects.get(pk=world.alex.pk).photo.name
    assert first.startswith("photos/") and first.endswith(".jpg")
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(url, {"photo": upload()})
    second = type(world.alex).objects.get(pk=world.alex.pk).photo.name
    assert second != first and not stored(first).exists() and stored(second).exists()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(url, {"remove_photo": "on"})
    assert not type(world.alex).objects.get(pk=world.alex.pk).photo
    assert not stored(second).exists()


def test_uploaded_photos_and_logos_are_stored_without_their_metadata(owner_client, world) -> None:
    """A phone photo's EXIF (where it was taken, the camera) never reaches a public page."""
    from PIL import Image

    url = reverse("backoffice:settings_provider_photo", args=[world.alex.pk])
    photo = SimpleUploadedFile("me.jpg", photo_with_metadata("JPEG"), content_type="image/jpeg")
    assert owner_client.post(url, {"photo": photo}).status_code == 302
    post(
        owner_client,
        logo=SimpleUploadedFile("logo.png", photo_with_metadata("PNG"), content_type="image/png"),
    )
    names = [
        type(world.alex).objects.get(pk=world.alex.pk).photo.name,
        Business.objects.get(pk=world.business.pk).logo.name,
    ]
    for name in names:
        data = stored(name).read_bytes()
        assert PRIVATE.encode() not in data, name
        with Image.open(stored(name)) as image:
            assert not image.getexif() and image.size == (100, 200), name  # turned upright


def test_a_service_photo_is_checked_like_the_logo(owner_client, world) -> None:
    url = reverse("backoffice:settings_service_photo", args=[world.service.pk])
    edit = reverse("backoffice:settings_service_edit", args=[world.service.pk])
    assert url in owner_client.get(edit).content.decode()
    body = owner_client.post(
        url, {"photo": SimpleUploadedFile("p.svg", SVG, content_type="image/svg+xml")}
    ).content.decode()
    assert "SVG and other text files are not accepted" in body
    body = owner_client.post(url, {}).content.decode()
    assert "Choose a photo to upload" in body
    assert not type(world.service).objects.get(pk=world.service.pk).photo
    assert owner_client.post(url, {"photo": upload("p.webp", "WEBP")}).status_code == 302
    assert type(world.service).objects.get(pk=world.service.pk).photo.name.endswith(".webp")


def test_another_business_photo_pages_are_not_found(owner_client, world, other_world) -> None:
    for name, pk in (
        ("backoffice:settings_service_photo", other_world.service.pk),
        ("backoffice:settings_provider_photo", other_world.alex.pk),
    ):
        url = reverse(name, args=[pk])
        assert owner_client.get(url).status_code == 404
        assert owner_client.post(url, {"photo": upload()}).status_code == 404
    assert not type(other_world.alex).objects.get(pk=other_world.alex.pk).photo


def test_a_cut_off_jpeg_is_a_form_error_and_saves_nothing(owner_client, world) -> None:
    whole = image_bytes("JPEG", size=(400, 300))
    body = refused(
        owner_client, world, logo=SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2])
    )
    assert "not an image we can read" in body
