"""Every write goes through a function in this package: keyword-only, typed, atomic, audited.

Modules by aggregate: `people` (profiles), `invitations`, `programs` (programs, cohorts,
memberships, directors), `audit`.
"""
