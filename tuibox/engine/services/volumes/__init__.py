"""Local volumes: create, list, inspect, remove, prune, and the ones containers ask for."""
