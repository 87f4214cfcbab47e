"""filterql's benchmarks against the alternatives users have; run them all with ``python -m benchmarks``."""
