"""Reading plans, per-bus workers, freezing, catch-up, clock keeping."""
