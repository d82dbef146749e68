"""A local, stateful emulator of Replicate's HTTP API, for tests and offline demos."""
