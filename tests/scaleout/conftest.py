"""The evidence tests' fixtures (a private file store, English messages, a task at 铁西区 with a report)."""

from tests.evidence.conftest import _english, media_root, report, task  # noqa: F401
