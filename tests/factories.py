"""factory_boy factories for the domain. Prefer the shared cast in conftest for permission tests."""

from __future__ import annotations

from datetime import date

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from programs.models import (
    AcademicRank,
    AcademicStream,
    Cohort,
    Department,
    Division,
    FacultyProfile,
    Institution,
    Membership,
    MentoringModel,
    Program,
    Role,
)

PASSWORD = "correct-horse-battery"


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution
        django_get_or_create = ("name",)

    name = "Northbridge University School of Medicine"
    short_name = "Northbridge"
    email_domains = factory.LazyFunction(lambda: ["northbridge.test"])
    is_home = True


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"Department {n}")


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Division

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"Division {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@northbridge.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FacultyProfile

    user = factory.SubFactory(UserFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    institution = factory.SubFactory(InstitutionFactory)
    time_zone = "America/Toronto"
    year_joined_faculty = 2020
    rank = factory.LazyFunction(lambda: AcademicRank.objects.order_by("order").first())
    stream = factory.LazyFunction(lambda: AcademicStream.objects.order_by("order").first())


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    description = "A mentorship program."
    allowed_models = factory.LazyFunction(lambda: [MentoringModel.ONE_TO_ONE])


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Cohort {n}")
    starts_on = date(2026, 7, 1)
    ends_on = date(2027, 6, 30)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    program = factory.SubFactory(ProgramFactory)
    person = factory.SubFactory(ProfileFactory)
    role = Role.MENTEE


def person(email: str | None = None, **profile_fields: object) -> FacultyProfile:
    """A faculty member with a verified email and the test password."""
    user = UserFactory(email=email) if email else UserFactory()
    return ProfileFactory(user=user, **profile_fields)
