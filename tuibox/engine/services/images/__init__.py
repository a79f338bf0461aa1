"""Image verbs (pull, import, list, inspect, tag, remove) over the image stores and registry."""
