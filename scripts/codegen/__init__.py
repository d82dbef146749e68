"""Code generation pipeline: spec loading, normalisation, generation and change reports.

Used by the commands in ``scripts/``; not shipped with the distribution.
"""
