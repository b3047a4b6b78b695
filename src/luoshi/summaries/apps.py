from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SummariesConfig(AppConfig):
    name = "luoshi.summaries"
    label = "summaries"

    def ready(self) -> None:
        from luoshi.summaries import triggers

        # After every migrate (and every flush, which emits the same signal): SQLite drops a table's
        # triggers when a migration rebuilds the table, so they are put back here rather than only once.
        post_migrate.connect(triggers.install_after_migrate, sender=self, dispatch_uid="luoshi.summaries")
