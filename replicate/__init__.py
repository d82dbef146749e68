"""A Python client for Replicate's HTTP API.

The facade is being built on the generated low-level layer, ``replicate_api``.
"""

__version__ = "0.1.0"
