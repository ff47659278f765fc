"""`{% csrf_token %}`, extended: next to the CSRF field every POST form gets a fresh
per-render submission token (`_submission`), so every form is idempotent without anyone having
to remember a tag. Installed as a template builtin for the HTML engine (see settings), which
overrides Django's own tag; views decorated with `once_per_submission` consume the token."""

from __future__ import annotations

import uuid

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

SUBMISSION_FIELD = "_submission"


class CsrfAndSubmissionNode(CsrfTokenNode):
    def render(self, context: template.Context) -> SafeString | str:
        csrf = super().render(context)
        if not csrf:
            return csrf
        return csrf + format_html(
            '<input type="hidden" name="{}" value="{}">', SUBMISSION_FIELD, uuid.uuid4().hex
        )


@register.tag
def csrf_token(parser: template.base.Parser, token: template.base.Token) -> CsrfAndSubmissionNode:
    return CsrfAndSubmissionNode()
