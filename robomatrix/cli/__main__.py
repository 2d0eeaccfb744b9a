"""``python -m robomatrix.cli``."""

import sys

from robomatrix.cli import main

sys.exit(main())
