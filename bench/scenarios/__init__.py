"""The scenarios `make bench` runs, in order; each module has `run(bench) -> list[Figure]`."""

SCENARIOS = ["pages", "burst", "rush", "slow_smtp", "attendees", "outbox", "instances"]
