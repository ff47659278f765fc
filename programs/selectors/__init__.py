"""Reads for pages: each returns a query set with its joins chosen, so list pages run a constant
number of queries whatever their length."""
