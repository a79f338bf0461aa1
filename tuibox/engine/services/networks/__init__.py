"""Networks: Docker's /networks verbs, IPAM over the engine's records, endpoints for runs."""
