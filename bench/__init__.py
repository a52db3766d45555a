"""Benchmarks, run by hand or with `make bench`; speed targets live here, never in tests."""
