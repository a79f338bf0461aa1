"""Container networking: empty so far; containers get a network namespace with loopback only."""
