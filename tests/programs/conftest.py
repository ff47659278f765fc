import pytest

from tests.assessment_factories import ensure_reference_data


@pytest.fixture(autouse=True)
def reference_data(request):
    """Browser tests run in transactions that end with a flush, which also empties the reference
    data seeded by migrations; put it back for the tests that read it."""
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
        ensure_reference_data()
