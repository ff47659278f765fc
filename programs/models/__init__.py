"""The programs app's models, one module per aggregate."""

from .audit import AuditEvent
from .people import FacultyProfile, Gender, Invitation
from .programs import (
    MENTEE_ROLES,
    MENTOR_ROLES,
    Cohort,
    MeetingCadence,
    Membership,
    MembershipStatus,
    MentoringModel,
    Program,
    Role,
)
from .reference import (
    MENTOR_ROLE_HELP,
    AcademicRank,
    AcademicStream,
    CommunicationMode,
    Department,
    Division,
    Institution,
    MentorRole,
    NeedArea,
    Topic,
)

__all__ = [
    "MENTEE_ROLES",
    "MENTOR_ROLES",
    "MENTOR_ROLE_HELP",
    "AcademicRank",
    "AcademicStream",
    "AuditEvent",
    "Cohort",
    "CommunicationMode",
    "Department",
    "Division",
    "FacultyProfile",
    "Gender",
    "Institution",
    "Invitation",
    "MeetingCadence",
    "Membership",
    "MembershipStatus",
    "MentorRole",
    "MentoringModel",
    "NeedArea",
    "Program",
    "Role",
    "Topic",
]
