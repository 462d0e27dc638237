"""The advice behind every pre-upgrade rule: severity, why it matters, what to do next.

Pure data, shown with each finding (docs/preupgrade-json.md lists the rules).
"""

from __future__ import annotations

from typing import Dict, Tuple

BLOCKING, WARNING = "blocking", "warning"

_KB_REPL = "VMware KB 2127057, Broadcom 316504"
_KB_LS = "lsdoctor, VMware KB 80469"
_BACKUP = ("Back up (or snapshot) ALL nodes together, powered off, before any repair: "
           "restoring one node alone breaks replication.")
_RERUN = "Run the check again once fixed."
_REPL_FIRST = ("Fix every replication finding first (registrations only converge through "
               "replication), then run the check again.")

# rule -> (severity, why it matters, what to do next)
RULES: Dict[str, Tuple[str, str, str]] = {
    "vmdir-state": (BLOCKING,
        "Anything but Normal means the node's directory (vmdird) does not fully serve or "
        "replicate: the upgrade would migrate a directory out of step with its partners.",
        "Check vmdird ('service-control --status vmdird') and "
        "/var/log/vmware/vmdird/vmdird-syslog.log; restart vmdird if it is stopped. If the "
        f"state does not return to Normal, open a support case. {_RERUN}"),
    "partner-unattributable": (BLOCKING,
        "vdcrepadmin printed a partner block without its 'Partner:' line: vcfix cannot tell "
        "which partner it describes, so it cannot count it as healthy.",
        "Run 'vdcrepadmin -f showpartnerstatus -h localhost -u administrator' by hand on the "
        f"node and read every block ({_KB_REPL}). {_RERUN}"),
    "partner-host-unavailable": (BLOCKING,
        "The node cannot reach or bind to the partner's directory (vmdird down, network, DNS "
        "or the machine account): its changes, including re-registrations made by an "
        "upgrade, never reach that partner.",
        "On the partner check 'service-control --status vmdird', forward and reverse DNS of "
        f"both nodes and port 389 between them ({_KB_REPL}). {_RERUN}"),
    "partner-status-unavailable": (BLOCKING,
        "The partner answers but its replication status for this node cannot be read: "
        "usually the agreement back to this node is missing (one-way) or broken.",
        "Compare 'vdcrepadmin -f showpartners' on both nodes; a missing direction must be "
        f"recreated ({_KB_REPL}). {_RERUN}"),
    "partner-incomplete": (BLOCKING,
        "The partner block lacks the availability or change-count lines a healthy partner "
        "shows: its replication cannot be confirmed.",
        "Run 'vdcrepadmin -f showpartnerstatus -h localhost -u administrator' by hand on the "
        f"node ({_KB_REPL}). {_RERUN}"),
    "partner-changes-behind": (BLOCKING,
        "The partner has not consumed this node's latest changes and they did not clear on "
        "a second look: replication is stuck, and an upgrade now re-registers services the "
        "partner never sees (the version mismatch that breaks Enhanced Linked Mode).",
        "Wait five minutes and check again; if the count stays or grows, look for "
        "replication errors in vmdird-syslog.log on both nodes "
        f"({_KB_REPL})."),
    "no-partners": (BLOCKING,
        "The node has no replication partner although the domain has other directory "
        "servers: it neither sends nor receives changes.",
        "Compare 'vdcrepadmin -f showpartners' and 'showservers' on every node. Recreating "
        f"agreements is a support procedure ({_KB_REPL}); do not upgrade until it is fixed."),
    "one-way-agreement": (BLOCKING,
        "Agreements must exist in both directions; with one, changes flow one way only and "
        "the other node drifts (registrations, trusted roots, users).",
        "Compare 'vdcrepadmin -f showpartners' on both nodes and recreate the missing "
        f"direction ({_KB_REPL}). {_RERUN}"),
    "server-list-mismatch": (BLOCKING,
        "Every node must see the same directory servers; a difference means replication has "
        "not converged or a removed node left entries behind.",
        "Compare 'vdcrepadmin -f showservers' on every node; remove a decommissioned node "
        f"only with 'cmsso-util unregister' as documented ({_KB_REPL}). {_RERUN}"),
    "replication-partitioned": (BLOCKING,
        "The agreements split the domain into groups that never exchange changes.",
        f"Reconnect the groups with an agreement ({_KB_REPL}), with support if unsure. "
        f"{_RERUN}"),
    "registration-mismatch": (BLOCKING,
        "Lookup Service registrations are directory data, identical on every healthy node. "
        "Answers that depend on the node asked are how an upgrade breaks Enhanced Linked "
        "Mode: the upgraded node re-registers, its partners keep the old registration.",
        f"{_REPL_FIRST} If they still differ, repair them with {_KB_LS}. {_BACKUP}"),
    "registration-count-mismatch": (BLOCKING,
        "The nodes do not hold the same registrations: some were added or removed on one "
        "node and never replicated.",
        f"{_REPL_FIRST} If counts still differ, repair them with {_KB_LS}. {_BACKUP}"),
    "own-version-mismatch": (BLOCKING,
        "A node's registrations should carry its own release; another version means an "
        "upgrade's re-registration (or a restore) did not reach this view of the directory.",
        f"{_REPL_FIRST} If the version stays wrong, repair it with {_KB_LS}. {_BACKUP}"),
    "duplicate-registration": (BLOCKING,
        "Two registrations of one service type for one node are left over from a failed "
        "upgrade, re-registration or repointing; clients and the upgrade may pick the "
        "stale one.",
        f"Identify and remove the stale registration with {_KB_LS}. {_BACKUP}"),
    "site-mismatch": (BLOCKING,
        "A node registered under two Site IDs confuses site affinity and the upgrade's "
        "pre-checks.",
        f"Find the stale registrations with {_KB_LS}. {_BACKUP}"),
    "mixed-versions": (WARNING,
        "The nodes run different releases. That is expected only while a domain is being "
        "upgraded, one node after another.",
        "Upgrade every node of the domain in the documented order and do not leave it mixed "
        "longer than needed."),
    "chain-topology": (WARNING,
        "With a chain, one node down (or being upgraded) splits the remaining nodes.",
        f"Consider closing the ring with one more agreement before the upgrade ({_KB_REPL})."),
    "partner-name": (WARNING,
        "A partner named by IP address or short name depends on that address or the DNS "
        "search path; a change during the upgrade breaks replication.",
        "Check that every node resolves forward and reverse by its FQDN (the name it was "
        "deployed with)."),
    "missing-snapshot": (WARNING,
        "A directory server of the domain was not checked: its state, partners and "
        "registrations are unknown.",
        "Run the check on that node and merge its snapshot; if the node no longer exists, "
        "it must be removed with 'cmsso-util unregister'."),
}
