"""Reading faculty profiles."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from programs.models import FacultyProfile


def faculty_directory(
    *, profiles: QuerySet[FacultyProfile], search: str = "", department_id: int | None = None
) -> QuerySet[FacultyProfile]:
    profiles = profiles.select_related(
        "user", "department", "division", "rank", "stream", "reports_to__user"
    )
    if department_id:
        profiles = profiles.filter(department_id=department_id)
    for word in search.split()[:5]:
        profiles = profiles.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(user__email__icontains=word)
            | Q(department__name__icontains=word)
        )
    return profiles.order_by("family_name", "given_name", "pk")


def profile_with_topics(*, profile_id: int) -> FacultyProfile:
    return (
        FacultyProfile.objects.select_related(
            "user",
            "institution",
            "department",
            "division",
            "rank",
            "stream",
            "reports_to",
        )
        .prefetch_related("expertise", "interests")
        .get(pk=profile_id)
    )
