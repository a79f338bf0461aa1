"""cgroup detection, the hybrid-layout fix, and readers for stats."""
