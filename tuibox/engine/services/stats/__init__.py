"""Resource statistics: one sampler for every running container, history, Docker's stats JSON."""
