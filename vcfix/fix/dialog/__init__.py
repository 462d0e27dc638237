"""The dialog engine: playbooks (prompt data, :mod:`~vcfix.fix.dialog.playbook`),
prompt matching (:mod:`~vcfix.fix.dialog.match`), one pty session
(:mod:`~vcfix.fix.dialog.session`) and the pexpect driver (:mod:`~vcfix.fix.dialog.driver`)."""
