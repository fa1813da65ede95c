"""A month on a Spark cluster: ``spark-submit docs/examples/spark_job.py --input … --out …``.

The same as ``python -m fundguard.spark``; docs/distributed.md says how to ship the package to
the workers and how to size the partitions.
"""

import sys

from fundguard.spark import main

if __name__ == "__main__":
    sys.exit(main())
