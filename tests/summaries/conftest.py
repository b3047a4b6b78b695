from tests.tasks.conftest import clock, desk  # noqa: F401
