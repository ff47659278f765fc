"""Writing the append-only audit log."""

from __future__ import annotations

from typing import Any

from django.db import models

from programs.models import AuditEvent, Program


def audit_record(
    *,
    actor: Any,
    verb: str,
    target: models.Model | None = None,
    program: Program | None = None,
    **detail: Any,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=verb,
        program=program,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        detail=detail,
    )
