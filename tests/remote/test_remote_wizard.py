"""The wizard over SSH, on a terminal: `vcfix --host H fix` asks its questions here while
certificate-manager runs on the appliance."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect

from tests.fixlab import PASSWORD, fast_lab, files_containing, tool_calls
from tests.remote.remote_lab import remote_args
from tests.remote.sshd import Sshd
from vcfix.lab import state as lab_state


def test_the_wizard_fixes_machine_ssl_on_a_remote_appliance(sshd: Sshd, tmp_path: Path) -> None:
    root = fast_lab(tmp_path, "machine-ssl-expired")
    env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1",
               COLUMNS="120", LINES="50", XDG_STATE_HOME=str(tmp_path / "xdg"))
    env.pop("VCFIX_SSO_PASSWORD", None)
    before = sshd.authentications()
    child = pexpect.spawn(sys.executable, ["-m", "vcfix", *remote_args(sshd, root), "fix"],
                          env=env, encoding="utf-8", timeout=120, dimensions=(50, 120))
    child.expect("Plan")
    child.expect("Use these values")
    child.send("y")
    child.expect("SSO administrator password")
    child.sendline(PASSWORD)
    child.expect(r"Run certificate-manager option 3 now\?")
    child.send("y")
    child.expect("the fix verified", timeout=300)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert PASSWORD not in (child.before or "")
    assert lab_state.load(root)["vecs"]["BACKUP_STORE"]  # certificate-manager really ran
    assert tool_calls(root, "certificate-manager")
    assert sshd.authentications() == before + 1  # on a terminal too: one login
    runs = list((tmp_path / "xdg/vcfix/hosts").iterdir())  # the record is on the jump host
    assert len(runs) == 1 and runs[0].name.startswith("root@127.0.0.1_")
    assert not files_containing(runs[0], PASSWORD)
    assert not files_containing(root / "var/lib/vcfix", PASSWORD)
