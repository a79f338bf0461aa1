"""cgroup layout detection, the hybrid-layout fix at engine start, and per-container stats."""
