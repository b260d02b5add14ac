"""The benchmark suite: HTTP read throughput beside its floors, SQL per request, ingest rate.

Run ``python -m benchmarks`` (or ``nox -s bench``) from the repository root; ``--help``
lists the options. It is not part of the tests and asserts nothing: it prints figures and
flags the targets they miss. ``docs/performance.md`` describes the method.
"""
