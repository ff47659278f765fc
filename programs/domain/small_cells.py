"""The one small-cell threshold: a group smaller than this is never shown on its own (dashboard
equity views, report tables), so nobody in it can be identified."""

SMALL_CELL = 5
SUPPRESSED = f"fewer than {SMALL_CELL}"
