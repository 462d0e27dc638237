"""The ELM pre-upgrade check: is this SSO domain safe to upgrade?

Pure logic:

- :mod:`~vcfix.preupgrade.parsers` turns vdcrepadmin, vdcadmintool, dir-cli and
  lstool.py output into data;
- :mod:`~vcfix.preupgrade.snapshot` is what one node sees (JSON load/save);
- :mod:`~vcfix.preupgrade.rules` merges the snapshots of every node into a verdict
  (with :mod:`~vcfix.preupgrade.rules_domain`, :mod:`~vcfix.preupgrade.rules_lookup`
  and the advice table :mod:`~vcfix.preupgrade.rules_advice`);
- :mod:`~vcfix.preupgrade.render` shows the verdict as text or JSON
  (schema: docs/preupgrade-json.md).

I/O: :mod:`~vcfix.preupgrade.collect` reads one node's snapshot from the appliance
(vdcrepadmin through :mod:`~vcfix.appliance.pty_tool`). The command is
:mod:`vcfix.commands.preupgrade` (docs/preupgrade.md).
"""
