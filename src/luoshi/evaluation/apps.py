from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "luoshi.evaluation"
    label = "evaluation"

    def ready(self) -> None:
        # Visibility and action rules join the one policy in luoshi.access.
        from luoshi.evaluation import rules

        rules.register()
