"""The ELM pre-upgrade check: is this SSO domain safe to upgrade?

Pure logic:

- :mod:`~vcfix.replication.parsers` turns vdcrepadmin, vdcadmintool, dir-cli and
  lstool.py output into data;
- :mod:`~vcfix.replication.snapshot` is what one node sees (JSON load/save);
- :mod:`~vcfix.replication.rules` merges the snapshots of every node into a verdict
  (with :mod:`~vcfix.replication.rules_domain`, :mod:`~vcfix.replication.rules_lookup`
  and the advice table :mod:`~vcfix.replication.rules_advice`);
- :mod:`~vcfix.replication.render` shows the verdict as text or JSON
  (schema: docs/preupgrade-json.md).

I/O: :mod:`~vcfix.replication.collect` reads one node's snapshot from the appliance
(vdcrepadmin through :mod:`~vcfix.replication.collect_pty`). The command is
:mod:`vcfix.commands.preupgrade` (docs/preupgrade.md).
"""
