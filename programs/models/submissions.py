"""Form submissions already handled: a double-click, a back-button resubmit or a network retry
sends the same per-form token again, and finds the row the first one wrote."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FormSubmission(models.Model):
    token = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    path = models.CharField(max_length=300)
    result_url = models.CharField(
        max_length=500, blank=True, help_text="Where the first submission led (its redirect)."
    )
    fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="What was sent (a hash of the fields, without the tokens): a back-button "
        "resubmit of a page the browser fetched again carries a new token but the same fields.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "path", "created_at"], name="formsubmission_latest")
        ]

    def __str__(self) -> str:
        return f"{self.path} [{self.token}]"
