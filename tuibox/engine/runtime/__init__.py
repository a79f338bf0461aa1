"""Thin runtime: OCI config builder and the conmon + crun driver; no state decisions."""
