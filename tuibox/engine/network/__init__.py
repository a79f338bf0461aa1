"""Container networking (loopback only for now)."""
