"""Business rules and ordering per capability: locks, state guards, events.

One sub-package per capability (containers, images, system); each holds its verbs, the
pure rules they apply and the Docker JSON views they answer with.
"""
