"""The ELM pre-upgrade check: is this SSO domain safe to upgrade?

Pure logic only (no vendor I/O):

- :mod:`~vcfix.replication.parsers` turns vdcrepadmin, vdcadmintool, dir-cli and
  lstool.py output into data;
- :mod:`~vcfix.replication.snapshot` is what one node sees (JSON load/save);
- :mod:`~vcfix.replication.rules` merges the snapshots of every node into a verdict;
- :mod:`~vcfix.replication.render` shows the verdict as text or JSON
  (schema: docs/preupgrade-json.md).
"""
