"""Benchmarks: ``python -m bench.<name>``; each prints a markdown table of ratios."""
