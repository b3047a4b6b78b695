from django.apps import AppConfig


class DraftingConfig(AppConfig):
    name = "luoshi.drafting"
    label = "drafting"
    verbose_name = "Drafting help"

    def ready(self) -> None:
        # Drafts join the one policy in luoshi.access: each is its author's until confirmed.
        from luoshi.drafting import rules

        rules.register()
