"""The form of the "Branding" settings page, and the photo field of services and providers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from slotwise.core import branding

#: What the file pickers offer; the server checks the bytes whatever the browser sends.
IMAGE_ACCEPT = "image/png,image/jpeg,image/webp"


def image_input() -> forms.FileInput:
    return forms.FileInput(attrs={"accept": IMAGE_ACCEPT})


def checked_image(upload: UploadedFile | None, *, stem: str) -> File[bytes] | None:
    """The upload, checked (size, type, not SVG), without its metadata (EXIF, XMP, comments)
    and named ``stem.<its real type>``.

    The storage then gives it a random name with that extension (core/branding.py).
    """
    if not upload:
        return None
    ext = branding.image_check(upload)
    return ContentFile(branding.without_metadata(upload, ext), name=f"{stem}.{ext}")


class BrandingForm(forms.Form):
    logo = forms.FileField(
        label=_("Upload a logo"),
        required=False,
        widget=image_input(),
        help_text=_(
            "PNG, JPEG or WebP, at most 2 MB. Shown at the top of your customer pages and emails."
        ),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    accent_color = forms.CharField(
        label=_("Accent colour"),
        required=False,
        max_length=7,
        widget=forms.TextInput(
            attrs={"placeholder": branding.DEFAULT_ACCENT, "spellcheck": "false", "size": 9}
        ),
        help_text=_(
            "A hex code such as #2451c7, used for buttons and links. It needs a contrast of at "
            "least 4.5:1 against white so that text on it stays readable. Leave empty for the "
            "Slotwise blue."
        ),
    )
    description = forms.CharField(
        label=_("Short description"),
        required=False,
        max_length=branding.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A line or two under your name on the booking page (at most 300 characters)."),
    )
    cover_image = forms.FileField(
        label=_("Upload a cover image"),
        required=False,
        widget=image_input(),
        help_text=_(
            "A wide photo shown at the top of the booking page. PNG, JPEG or WebP, at most 2 MB."
        ),
    )
    remove_cover_image = forms.BooleanField(label=_("Remove the cover image"), required=False)

    def clean_logo(self) -> File[bytes] | None:
        return checked_image(self.cleaned_data.get("logo"), stem="logo")

    def clean_cover_image(self) -> File[bytes] | None:
        return checked_image(self.cleaned_data.get("cover_image"), stem="cover")

    def clean_accent_color(self) -> str:
        value = (self.cleaned_data.get("accent_color") or "").strip()
        return branding.validate_accent(value) if value else ""

    def images(self) -> dict[str, UploadedFile | None]:
        """The images to replace (a file) or remove (None); the others are kept."""
        data: dict[str, Any] = self.cleaned_data
        changes: dict[str, UploadedFile | None] = {}
        for name, remove in (("logo", "remove_logo"), ("cover_image", "remove_cover_image")):
            if data.get(name):
                changes[name] = data[name]
            elif data.get(remove):
                changes[name] = None
        return changes

    def changes(self) -> dict[str, str]:
        return {
            "accent_color": self.cleaned_data["accent_color"],
            "description": self.cleaned_data["description"],
        }


class PhotoForm(forms.Form):
    """A service's or provider's photo: upload a new one, or remove the one there is."""

    photo = forms.FileField(
        label=_("Upload a photo"),
        required=False,
        widget=image_input(),
        help_text=_("PNG, JPEG or WebP, at most 2 MB. Shown next to the name on booking pages."),
    )
    remove_photo = forms.BooleanField(label=_("Remove the photo"), required=False)

    def clean_photo(self) -> File[bytes] | None:
        return checked_image(self.cleaned_data.get("photo"), stem="photo")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("photo") and not data.get("remove_photo") and not self.errors:
            raise forms.ValidationError(_("Choose a photo to upload, or tick “Remove the photo”."))
        return data
