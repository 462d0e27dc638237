"""vcfix: diagnose and fix expired vCenter Server certificates."""

import warnings

__version__ = "0.1.0"

# The appliance's Python is 3.7 (VCSA 7.0, 8.0 up to U1) and cryptography 45 warns at import
# that it is the last release for it; an operator at the console can do nothing about that.
warnings.filterwarnings("ignore", message=r"Python 3\.7 is no longer supported")
