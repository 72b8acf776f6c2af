from django.contrib import admin

from sandbox.models import Run


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    """Runs are records of what happened: everything is read-only; staff may only delete."""

    list_display = ("id", "kind", "demo", "state", "progress", "attempts", "device", "queued_at", "finished_at", "user")
    list_filter = ("state", "kind", "demo", "device", "engine_version")
    search_fields = ("id", "demo", "task_id", "worker", "error")
    date_hierarchy = "queued_at"
    readonly_fields = [field.name for field in Run._meta.fields]
    fieldsets = (
        (None, {"fields": ("id", "kind", "demo", "params", "params_digest", "code", "state", "error")}),
        ("Who", {"fields": ("user", "session_key", "client_ip")}),
        (
            "Progress",
            {"fields": ("progress", "progress_message", "cancel_requested", "attempts", "queue", "task_id", "worker")},
        ),
        ("Times", {"fields": ("queued_at", "enqueued_at", "started_at", "finished_at", "lease_expires_at")}),
        ("Result", {"fields": ("engine_version", "device", "cache_key", "environment", "result", "live_output", "logs")}),
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
