"""``--hosts-file``: one target a line, optional root folder, comments, bounds, repeats."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vcfix.appliance.ssh.hosts_file import (
    MAX_BYTES,
    MAX_TARGETS,
    HostEntry,
    parse_hosts,
    read_hosts_file,
)
from vcfix.appliance.ssh.target import Target
from vcfix.errors import EXIT_USAGE, VcfixError

GOOD = """\
# the vCenters of site A
vc1.corp.example
admin@vc2.corp.example:2222    # a comment after a target
  root@[fe80::1]:22

root@127.0.0.1:2222 /srv/labs/vc3
root@127.0.0.1:2222\t/srv/labs/vc4   # the same sshd, another lab
"""


def test_targets_roots_and_comments() -> None:
    entries = parse_hosts(GOOD, "hosts.txt")
    assert entries == [
        HostEntry(Target("root", "vc1.corp.example")),
        HostEntry(Target("admin", "vc2.corp.example", 2222)),
        HostEntry(Target("root", "fe80::1", 22)),
        HostEntry(Target("root", "127.0.0.1", 2222), Path("/srv/labs/vc3")),
        HostEntry(Target("root", "127.0.0.1", 2222), Path("/srv/labs/vc4")),
    ]
    assert [e.label for e in entries[2:4]] == ["root@[fe80::1]:22",
                                               "root@127.0.0.1:2222 /srv/labs/vc3"]


def test_repeats_are_removed_in_order() -> None:
    text = "vc1\nroot@vc1\nvc2 /lab\nvc2 /lab\nvc2 /other\nvc1:22\n"
    assert [e.label for e in parse_hosts(text, "f")] == [
        "root@vc1", "root@vc2 /lab", "root@vc2 /other", "root@vc1:22"]


def test_the_root_falls_back_to_the_global_one_and_slash_is_none() -> None:
    own, plain = parse_hosts("vc1 /srv/lab\nvc2\n", "f")
    assert own.resolved(Path("/elsewhere")).root == Path("/srv/lab")
    assert plain.resolved(Path("/elsewhere")).root == Path("/elsewhere")
    assert plain.resolved(Path("/")).root is None
    assert plain.resolved(Path("/")).root_path == Path("/")


@pytest.mark.parametrize("line, why", [
    ("-oProxyCommand=evil", "not a host name"),
    ("vc1:0", "port"),
    ("vc1:http", "port"),
    ("bad user@vc1", "absolute path"),
    ("vc1 relative/root", "absolute path"),
    ("vc1 /a /b", "3 fields"),
    ("vc1;reboot", "not a host name"),
    ("root@", "not a host name"),
])
def test_a_bad_line_is_a_usage_error_naming_file_and_line(line: str, why: str) -> None:
    with pytest.raises(VcfixError) as caught:
        parse_hosts(f"# fleet\nvc1\n{line}\n", "fleet.txt")
    assert caught.value.exit_code == EXIT_USAGE
    assert caught.value.message.startswith("fleet.txt:3: ")
    assert why in caught.value.message


def test_control_characters_in_a_bad_line_are_escaped() -> None:
    with pytest.raises(VcfixError) as caught:
        parse_hosts("vc1\x1b[31m\n", "f")
    assert "\x1b" not in caught.value.message and "\\x1b" in caught.value.message


def test_a_file_without_targets_is_refused() -> None:
    with pytest.raises(VcfixError, match="no target"):
        parse_hosts("# nothing yet\n\n", "f")


def test_at_most_max_targets() -> None:
    text = "".join(f"vc{i}\n" for i in range(MAX_TARGETS))
    assert len(parse_hosts(text, "f")) == MAX_TARGETS
    with pytest.raises(VcfixError, match=f"f:{MAX_TARGETS + 1}: more than {MAX_TARGETS}"):
        parse_hosts(text + "one-more\n", "f")


def test_the_file_is_bounded_and_must_be_a_regular_file(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_text("# " + "x" * MAX_BYTES + "\nvc1\n")
    with pytest.raises(VcfixError, match="larger than 1 MiB") as caught:
        read_hosts_file(big)
    assert caught.value.exit_code == EXIT_USAGE
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(VcfixError, match="not a regular file"):
        read_hosts_file(fifo)  # refused at once, never waited on
    good = tmp_path / "hosts"
    good.write_text(GOOD)
    assert len(read_hosts_file(good)) == 5
