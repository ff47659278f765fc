"""The institution admin's single sign-on pages: the identity provider of each institution, and
the service-provider metadata (or OIDC redirect address) the IdP's administrators need."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from mentorship.http import AuthenticatedHttpRequest
from programs.access import require_admin
from programs.forms.programs import apply_errors
from programs.forms.sso import IdentityProviderForm
from programs.models import IdentityProvider, Institution
from programs.selectors.sso import institutions_with_sign_in, proposed_slug, sp_metadata_xml
from programs.services.sso import cert_expires_soon, identity_provider_save


def sign_in_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_admin(request.user)
    return render(
        request, "institution/sign_in_list.html", {"institutions": institutions_with_sign_in()}
    )


def _sp_addresses(request: HttpRequest, slug: str) -> dict[str, str]:
    def absolute(name: str, **kwargs: str) -> str:
        return request.build_absolute_uri(reverse(name, kwargs=kwargs))

    return {
        "entity_id": absolute("saml_metadata", organization_slug=slug),
        "acs": absolute("saml_acs", organization_slug=slug),
        "sls": absolute("saml_sls", organization_slug=slug),
        "oidc_redirect": absolute("openid_connect_callback", provider_id=slug),
    }


@require_http_methods(["GET", "POST"])
def sign_in_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_admin(request.user)
    institution = get_object_or_404(Institution, pk=pk)
    idp = IdentityProvider.objects.filter(institution=institution).first()
    default_name = institution.short_name or institution.name
    form = IdentityProviderForm(
        request.POST or None, initial=IdentityProviderForm.initial_for(idp, default_name)
    )
    if request.method == "POST" and form.is_valid():
        try:
            idp = identity_provider_save(
                institution=institution, by=request.user, **form.service_kwargs()
            )
        except ValidationError as e:
            apply_errors(form, e)
        else:
            state = "switched on" if idp.is_enabled else "saved (switched off)"
            messages.success(request, f"Single sign-on for {institution.name} {state}.")
            return redirect("institution:sign_in_edit", pk=institution.pk)
    slug = idp.slug if idp else proposed_slug(institution)
    return render(
        request,
        "institution/sign_in.html",
        {
            "institution": institution,
            "idp": idp,
            "cert_expires_soon": idp is not None and cert_expires_soon(idp),
            "cert_expired": idp is not None and cert_expires_soon(idp, days=0),
            "form": form,
            "sp": _sp_addresses(request, slug),
        },
    )


@require_GET
def sp_metadata(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The SAML service-provider metadata to give the IdP, as a file."""
    require_admin(request.user)
    institution = get_object_or_404(Institution, pk=pk)
    idp = IdentityProvider.objects.filter(institution=institution).first()
    slug = idp.slug if idp else proposed_slug(institution)
    xml = sp_metadata_xml(request=request, slug=slug)
    response = HttpResponse(xml, content_type="application/samlmetadata+xml")
    response["Content-Disposition"] = f'attachment; filename="{slug}-sp-metadata.xml"'
    return response
