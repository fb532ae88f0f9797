"""Entry point of ``python -m arrayshrink``."""

import os
import sys

from arrayshrink._report import main

try:
    status = main()
    sys.stdout.flush()  # here, so that a closed pipe is caught below
except BrokenPipeError:
    # The reader left (``| head``): no traceback, and no second error when Python
    # flushes stdout at exit (the recipe of the signal module's documentation).
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    status = 1
sys.exit(status)
