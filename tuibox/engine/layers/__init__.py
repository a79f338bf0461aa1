"""Safe layer unpacking onto overlay lower dirs keyed by chain ID, and overlay mounts."""
