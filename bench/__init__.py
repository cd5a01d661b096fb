"""Benchmarks: ``python -m bench`` runs every module here, ``python -m bench NAME`` one of them.

A benchmark module exposes ``main()``, reading its options from ``sys.argv``, and prints its figures for
BENCHMARKS.md.
"""
