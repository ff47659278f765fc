"""Rules every page template keeps, checked over all of them so a new template cannot miss one."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
SCROLL_BOX = re.compile(r"<div\b[^>]*\bclass=\"[^\"]*\btable-wrap\b[^\"]*\"[^>]*>")


def test_every_scrolling_table_is_a_named_focusable_region():
    """Keyboard users scroll a wide table by focusing its box; screen readers announce its name."""
    missing = []
    boxes = 0
    for path in TEMPLATES.rglob("*.html"):
        for tag in SCROLL_BOX.findall(path.read_text()):
            boxes += 1
            if not all(a in tag for a in ('role="region"', "aria-label=", 'tabindex="0"')):
                missing.append(f"{path.relative_to(TEMPLATES)}: {tag}")
    assert boxes > 20
    assert not missing, "\n".join(missing)
