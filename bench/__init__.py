"""Benchmark harness: `make bench` runs the burst in bench/burst.py; results go to RESULTS.md."""
