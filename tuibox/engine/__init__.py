"""The tuibox engine: a Docker Engine API daemon running containers under conmon and crun."""
