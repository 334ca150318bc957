"""The load harness: `python -m benches.load` (see __main__.py)."""
