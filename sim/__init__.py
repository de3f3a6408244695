"""The bench: simulated meters, virtual serial lines, fault injection, scenarios."""
