import sys

from vcfix.cli import main

sys.exit(main())
