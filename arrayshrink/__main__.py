"""Entry point of ``python -m arrayshrink``."""

import sys

from arrayshrink._report import main

sys.exit(main())
