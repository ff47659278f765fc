"""Django admin for technical staff. Day-to-day work happens in the app's own pages."""

from django.contrib import admin

from programs import models


@admin.register(models.Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "is_home")


@admin.register(models.Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "institution", "head")
    list_filter = ("institution",)
    raw_id_fields = ("head",)


@admin.register(models.Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ("name", "department", "chief")
    raw_id_fields = ("chief",)


@admin.register(models.AcademicRank, models.AcademicStream)
class OrderedNameAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "is_active")
    list_editable = ("order", "is_active")


@admin.register(models.NeedArea)
class NeedAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "institution_specific", "order", "is_active")
    list_editable = ("order", "is_active", "institution_specific")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(models.Topic)
class TopicAdmin(admin.ModelAdmin):
    search_fields = ("name",)
    readonly_fields = ("normalized",)


@admin.register(models.FacultyProfile)
class FacultyProfileAdmin(admin.ModelAdmin):
    list_display = ("__str__", "department", "rank", "stream", "year_joined_faculty")
    list_filter = ("rank", "stream", "institution")
    search_fields = ("given_name", "family_name", "user__email")
    raw_id_fields = ("user", "reports_to")
    filter_horizontal = ("expertise", "interests")


class MembershipInline(admin.TabularInline):
    model = models.Membership
    raw_id_fields = ("person",)
    extra = 0


@admin.register(models.Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "institution", "is_active")
    inlines = [MembershipInline]


@admin.register(models.Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("name", "program", "starts_on", "ends_on")


@admin.register(models.Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "program", "sent_at", "accepted_at", "revoked_at", "expires_at")
    readonly_fields = ("nonce",)
    raw_id_fields = ("person",)


@admin.register(models.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ("at", "actor", "verb", "object_type", "object_id", "program")
    list_filter = ("verb",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
