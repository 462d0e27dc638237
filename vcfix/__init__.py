"""vcfix: diagnose and fix expired vCenter Server certificates."""

__version__ = "0.1.0"
