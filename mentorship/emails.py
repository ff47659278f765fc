"""Rendering and sending the app's emails: HTML and plain text from templates under
`templates/emails/<name>/` (subject.txt, body.txt, body.html), each naming the program."""

from __future__ import annotations

from collections.abc import Mapping
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def build_email(*, to: str, template: str, context: Mapping[str, Any]) -> EmailMultiAlternatives:
    ctx = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(
        render_to_string(f"emails/{template}/subject.txt", ctx, using="text").split()
    )
    text = render_to_string(f"emails/{template}/body.txt", ctx, using="text")
    html = render_to_string(f"emails/{template}/body.html", ctx)
    message = EmailMultiAlternatives(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}", body=text, to=[to]
    )
    message.attach_alternative(html, "text/html")
    for part in context.get("attachments", ()):
        message.attach(part)
    return message


def calendar_part(body: str, *, method: str, filename: str = "invite.ics") -> MIMEBase:
    """An iCalendar attachment whose Content-Type names the method (REQUEST, CANCEL): that is
    what makes mail programs offer it as an invitation or a cancellation, not a plain file."""
    part = MIMEText(body, "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def send_email(*, to: str, template: str, context: Mapping[str, Any]) -> None:
    build_email(to=to, template=template, context=context).send()


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"
