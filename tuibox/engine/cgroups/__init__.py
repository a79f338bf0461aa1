"""cgroup detection and the hybrid-layout fix at engine start."""
