from __future__ import annotations

import pytest

from mentorship.notifications import kinds

TEST_KIND = "test_reminder"


@pytest.fixture
def test_kind(monkeypatch):
    """A notification kind with its own templates and a builder the test controls."""
    state = {"relevant": True}

    def builder(n):
        if not state["relevant"]:
            return None
        return {"thing": n.data.get("thing", "a meeting"), "summary": "A test reminder", "url": ""}

    monkeypatch.setitem(kinds.BUILDERS, TEST_KIND, builder)
    return state
