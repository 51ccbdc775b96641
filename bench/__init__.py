"""Benchmarks (issue 9): ``python -m bench`` runs them all, ``python -m bench NAME`` one.

Each prints its figures and writes them, with the machine, date and versions, into its own
section of BENCHMARKS.md at the repository root. They are measurements, not tests: nothing
here is collected by pytest, and ``make test`` never fails on a speed.
"""
