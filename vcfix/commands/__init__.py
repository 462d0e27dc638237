"""One module per command; each has ``register(subparsers, parent)`` and ``run(args) -> int``."""
