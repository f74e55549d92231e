"""``python -m bench``: run the benchmarks, print the table, write bench/results.json, exit 1 on a missed budget."""

import sys

from bench.run import main

sys.exit(main())
