"""mailroom._core.queue: the outgoing mail queue's values."""
