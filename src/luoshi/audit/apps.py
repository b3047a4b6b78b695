from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    """The hash-chained audit trail, its verifier and the database triggers that keep it append-only."""

    name = "luoshi.audit"
    label = "audit"

    def ready(self) -> None:
        from luoshi.access.policy import register_visibility
        from luoshi.audit import selectors, triggers
        from luoshi.audit.models import AuditEvent

        # The SQLite delete trigger calls a function that must exist on every connection Django opens.
        connection_created.connect(triggers.register_sqlite_functions, dispatch_uid="luoshi.audit.sqlite")
        # Superusers too: only the audit administrator reads the whole trail.
        register_visibility(AuditEvent, selectors.visible_events, superusers_see_all=False)
