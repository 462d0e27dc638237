"""Appliance access: where things live on a VCSA and how its tools are run.

- :mod:`~vcfix.appliance.paths`: every vendor path, resolved under ``--root``;
- :mod:`~vcfix.appliance.runner`: running a vendor tool with a timeout, errors naming it;
- :mod:`~vcfix.appliance.pty_tool`: a tool that asks for a password on its terminal;
- :mod:`~vcfix.appliance.lock`: one fix at a time on an appliance;
- :mod:`~vcfix.appliance.parsers`: vendor output -> data (pure, tolerant).
"""
