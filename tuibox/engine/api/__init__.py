"""HTTP routes of the Docker Engine API subset; handlers call one service method each."""
