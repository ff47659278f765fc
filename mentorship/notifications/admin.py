from django.contrib import admin

from mentorship.notifications.models import Bounce, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("kind", "recipient", "subject", "cycle", "status", "due_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("recipient__email", "subject")
    raw_id_fields = ("recipient",)


@admin.register(Bounce)
class BounceAdmin(admin.ModelAdmin):
    list_display = ("email", "code", "at", "cleared_at")
