"""``python -m benchmarks``: run the suite and print the figures."""

import sys

from benchmarks.suite import main

sys.exit(main())
