"""Registry logins (docker login through the engine) and the registries the engine knows."""
