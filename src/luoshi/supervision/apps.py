from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "luoshi.supervision"
    label = "supervision"

    def ready(self) -> None:
        # Visibility and action rules join the one policy in luoshi.access.
        from luoshi.notifications import wording
        from luoshi.supervision import digest, rules

        rules.register()
        # A digest of the sweep's urgings says its counts by level in the reader's language, and leads to
        # the day's urgings addressed to its reader.
        wording.register(digest.KIND, digest.SENTENCE, details=digest.digest_details, path=digest.digest_path)
