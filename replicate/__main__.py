"""``python -m replicate``: the ``replicate`` command line (see ``replicate.cli``)."""

import sys

from replicate.cli import main

if __name__ == "__main__":
    sys.exit(main())
