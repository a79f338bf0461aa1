"""Business rules and ordering per verb: locks, state guards, events."""
