"""``python -m vcfix``: the same as the ``vcfix`` command."""

import sys

from vcfix.cli import main

sys.exit(main())
