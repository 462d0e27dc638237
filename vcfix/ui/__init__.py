"""The user interface shared by every command: one prompt API for interactive and
unattended runs (:mod:`~vcfix.ui.prompts`), progress (:mod:`~vcfix.ui.progress`)
and terminal styling (:mod:`~vcfix.ui.style`)."""
