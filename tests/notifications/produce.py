"""Writing notifications as the app's services do, some in transactions that commit and some in ones
that roll back; run in the test's process, or as ``python -m tests.notifications.produce COMMITTED
ROLLED_BACK LABEL`` against a database another process shares (the reliability tests)."""

from __future__ import annotations

import sys


class ChangeFailed(RuntimeError):
    pass


def produce(*, committed: int, rolled_back: int, label: str) -> None:
    from django.db import transaction

    from luoshi.notifications import services
    from luoshi.organizations.models import User

    wang = User.objects.get(username="wangfang")
    for n in range(committed):
        with transaction.atomic():
            services.queue_for_users(
                kind="test.notice",
                users=[wang],
                key=f"{label}-ok-{n}",
                payload={"headline": f"{label} committed {n}"},
            )
    for n in range(rolled_back):
        try:
            with transaction.atomic():
                services.queue_for_users(
                    kind="test.notice",
                    users=[wang],
                    key=f"{label}-undone-{n}",
                    payload={"headline": f"{label} rolled back {n}"},
                )
                raise ChangeFailed
        except ChangeFailed:
            pass


if __name__ == "__main__":
    import django

    django.setup()
    produce(committed=int(sys.argv[1]), rolled_back=int(sys.argv[2]), label=sys.argv[3])
