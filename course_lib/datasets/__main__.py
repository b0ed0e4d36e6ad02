"""`python -m course_lib.datasets`: make the samples, report or download the real data (see `cli.main`)."""
import sys

from .cli import main

sys.exit(main())
