"""On-disk stores: content-addressed blobs, image and container records, atomic writes."""
