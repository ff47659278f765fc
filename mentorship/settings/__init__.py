"""Settings modules: `local` (default, embedded services), `test`, and `production`."""
