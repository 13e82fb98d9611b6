"""The business's branding: logo, accent colour, cover image and description (owners and
admins). The check of each image and colour is in core/branding.py; the write, with the
replaced files' clean-up, is ``core.services.business_branding_save``."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from slotwise.backoffice.access import BusinessRequest, manager_required
from slotwise.backoffice.branding_forms import BrandingForm, PhotoForm
from slotwise.backoffice.forms import add_domain_error
from slotwise.catalog import services as catalog
from slotwise.catalog.models import Provider, Service
from slotwise.core import branding, errors
from slotwise.core import services as core
from slotwise.core.security import accepts_uploads


@accepts_uploads
@manager_required
def branding_settings(request: BusinessRequest) -> HttpResponse:
    """Show and change the current business's branding; nothing changes on a refusal."""
    business = request.business
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                core.business_branding_save(
                    business=business, changes=form.changes(), images=form.images()
                )
            except errors.DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Branding saved."))
                return redirect("backoffice:settings_branding")
    else:
        form = BrandingForm(
            initial={"accent_color": business.accent_color, "description": business.description}
        )
    accent = business.accent_color or branding.DEFAULT_ACCENT
    return render(
        request,
        "backoffice/settings/branding.html",
        {
            "form": form,
            "business": business,
            "accent": accent,
            "accent_ratio": branding.ratio_words(branding.contrast_ratio(accent, branding.WHITE)),
        },
    )


#: The photo pages: the model, and where the page leads back to.
_PHOTO_OWNERS: dict[str, tuple[type[Service] | type[Provider], str]] = {
    "service": (Service, "backoffice:settings_service_edit"),
    "provider": (Provider, "backoffice:settings_provider_edit"),
}


@accepts_uploads
@manager_required
def photo_settings(request: BusinessRequest, kind: str, pk: int) -> HttpResponse:
    """Upload, replace or remove the photo of one of the business's services or providers."""
    model, back = _PHOTO_OWNERS[kind]
    item = model.objects.filter(business=request.business, pk=pk).first()
    if item is None:
        raise Http404
    form = PhotoForm(request.POST, request.FILES) if request.method == "POST" else PhotoForm()
    if request.method == "POST" and form.is_valid():
        photo = form.cleaned_data.get("photo")
        try:
            catalog.photo_set(business=request.business, model=model, pk=pk, photo=photo or None)
        except errors.DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Photo saved.") if photo else _("Photo removed."))
            return redirect(back, pk=pk)
    return render(
        request,
        "backoffice/settings/photo.html",
        {"form": form, "item": item, "back_url": reverse(back, args=[pk])},
    )
