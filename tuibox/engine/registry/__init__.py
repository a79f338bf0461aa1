"""OCI distribution client: manifests and blobs over HTTP, mirrors, digest checks."""
