"""Repository-level pytest configuration.

The edgeconform plugin itself is registered through the ``pytest11`` entry point (edgeconform/plugin.py), so
the suites work from any directory once the package is installed. Nothing here is needed to run them.
"""

collect_ignore = ["benchmarks"]
