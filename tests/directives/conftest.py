import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their English source; the deployment default is zh-Hans."""
    with translation.override("en"):
        yield
