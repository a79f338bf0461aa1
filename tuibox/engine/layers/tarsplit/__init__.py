"""The exact tar stream of an unpacked layer, kept as headers plus references to its files."""
