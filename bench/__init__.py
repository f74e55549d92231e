"""jwtlens benchmarks: ``python -m bench`` (what ``make bench`` runs). See docs/benchmarks.md.

Nothing here is imported by the app or by the test suite: ``make test`` never depends on timing.
"""
