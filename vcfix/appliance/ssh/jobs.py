"""A vendor tool on a remote appliance that outlives the SSH connection.

:meth:`RemoteJob.launch` makes the job folder on the appliance (0700, not a link) and
starts, with ``setsid``, a small ``sh`` supervisor there: in a session of its own, with
no terminal and every descriptor on files, a dropped connection (or vcfix killed) does not
reach it. A tool that needs a terminal runs under ``script`` (util-linux), which gives it
a pty of its own, writes what it prints to ``output.log`` and takes its input from the
FIFO ``input``, held open read-write so that it never sees end-of-file; other tools write
to ``output.log`` directly. The supervisor records ``supervisor.pid``, ``started`` and, at
the end, ``exit`` ("STATUS TIME"; 128+N is signal N).

vcfix follows it with one SSH call per look (status first, then the new output from
its offset), types answers into the FIFO through ssh's stdin (never an argv), and the next
vcfix can :meth:`attach` to the folder to learn how it ended. If nobody has looked for
:data:`ORPHAN_AFTER` seconds while the tool runs, the supervisor types Ctrl-D once, so a
tool waiting at a prompt ends instead of waiting for ever (one in the middle of an
operation is not reading and finishes its work).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence

from vcfix.appliance.jobs import JobHandle, display
from vcfix.appliance.ssh import remote
from vcfix.appliance.ssh.session import Session
from vcfix.errors import VcfixError

ORPHAN_AFTER = 120
START_TIMEOUT = 30.0

LAUNCH = r'''
set -u
d=$1; pty=$2; cmd=$3; orphan=$4
umask 077
case "$d" in /*) ;; *) exit 91;; esac
parent=${d%/*}
mkdir -p -- "$parent" || exit 90
[ -d "$parent" ] && [ ! -L "$parent" ] || exit 91
mkdir -m 700 -- "$d" || exit 92
if [ "$pty" = 1 ]; then mkfifo -m 600 -- "$d/input" || exit 93; fi
: > "$d/output.log"
date +%s > "$d/seen"
setsid sh -c '
  d=$1; pty=$2; cmd=$3; orphan=$4
  echo $$ > "$d/supervisor.pid"
  date -u +%Y-%m-%dT%H:%M:%SZ > "$d/started"
  if [ "$pty" = 1 ]; then
    exec 3<>"$d/input"
    ( while sleep 5; do
        [ -f "$d/exit" ] && exit 0
        last=$(cat "$d/seen" 2>/dev/null)
        case "$last" in ""|*[!0-9]*) continue;; esac
        if [ $(( $(date +%s) - last )) -gt "$orphan" ]; then printf "\004" >&3; exit 0; fi
      done ) &
    SHELL=/bin/sh script -q -f -e -c "$cmd" "$d/output.log" <&3 >/dev/null 2>&1
  else
    sh -c "$cmd" </dev/null >>"$d/output.log" 2>&1
  fi
  echo "$? $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$d/exit.tmp" && mv "$d/exit.tmp" "$d/exit"
' vcfix-job "$d" "$pty" "$cmd" "$orphan" </dev/null >/dev/null 2>&1 &
i=0
while [ ! -s "$d/supervisor.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ -s "$d/supervisor.pid" ] || exit 94
echo started
'''

# "E<status> <time>" (ended), "R" (running) or "D" (supervisor gone); then the output
POLL = r'''
d=$1; off=$2; n=$3
date +%s > "$d/seen.new" 2>/dev/null && mv -f "$d/seen.new" "$d/seen"
if [ -f "$d/exit" ]; then printf 'E%s\n' "$(cat "$d/exit")"
elif kill -0 "$(cat "$d/supervisor.pid" 2>/dev/null)" 2>/dev/null; then echo R
else echo D; fi
printf '%s\n' "$(cat "$d/started" 2>/dev/null)"
tail -c +$((off + 1)) -- "$d/output.log" 2>/dev/null | head -c "$n"
'''
SEND = 'exec cat > "$1/input"'
TAIL = 'exec tail -c "$2" -- "$1/output.log"'
KILL = r'''
sup=$(cat "$1/supervisor.pid" 2>/dev/null) || exit 0
for child in $(pgrep -P "$sup"); do
  for tool in $(pgrep -P "$child"); do kill -"$2" "$tool" 2>/dev/null; done
  [ -f "$1/input" ] || kill -"$2" "$child" 2>/dev/null
done
'''
_LAUNCH_ERRORS = {90: "cannot create its parent folder", 91: "its parent folder is a link",
                  92: "cannot create the job folder", 93: "cannot create the input FIFO",
                  94: "its supervisor did not start (setsid, script and sh are needed)"}


class RemoteJob(JobHandle):
    def __init__(self, transport: Session, remote_dir: str, command: str) -> None:
        self.transport, self.remote_dir = transport, remote_dir
        self.path = Path(remote_dir)  # replaced by the local record folder when there is one
        self.command = command or Path(remote_dir).name
        self.offset = 0
        self._state: Optional[str] = None
        self._started = ""
        self._closed = False

    @classmethod
    def launch(cls, transport: Session, remote_dir: str, argv: Sequence[str], *,
               pty: bool, env: Optional[Mapping[str, str]] = None,
               cwd: Optional[str] = None) -> RemoteJob:
        if not (transport.test("-f", str(argv[0])) and transport.test("-x", str(argv[0]))):
            raise VcfixError(f"cannot start '{display(argv)}' on {transport.label}: "
                             "not an executable file")
        extra = dict(env or {})
        if pty:
            extra.setdefault("TERM", "xterm")
        line = remote.command_line(argv, extra, cwd=cwd)
        done = transport.call(remote.script(LAUNCH, remote_dir, "1" if pty else "0", line,
                                            str(ORPHAN_AFTER)), timeout=START_TIMEOUT)
        if done.returncode != 0 or b"started" not in done.stdout:
            why = _LAUNCH_ERRORS.get(done.returncode, f"exit status {done.returncode}")
            raise VcfixError(f"cannot start '{display(argv)}' on {transport.label}: {why} "
                             f"({remote_dir})")
        return cls(transport, remote_dir, display(argv))

    def _poll(self, size: int) -> bytes:
        done = self.transport.call(remote.script(POLL, self.remote_dir, str(self.offset),
                                                 str(size)))
        head, _, rest = done.stdout.partition(b"\n")
        started, _, data = rest.partition(b"\n")
        self._state = head.decode("utf-8", "replace").strip() or "D"
        self._started = started.decode("utf-8", "replace").strip()
        first = self.offset == 0
        self.offset += len(data)
        return _without_script_lines(data, first)

    def status(self) -> Dict[str, Any]:
        if self._state is None:
            self._poll(0)
        state = self._state or "D"
        record: Dict[str, Any] = {"argv0": self.command.split(" ")[0], "started": self._started,
                                  "ended": None, "exit_status": None, "signal": None,
                                  "remote": f"{self.transport.label}:{self.remote_dir}"}
        if state.startswith("E"):
            code, _, when = state[1:].partition(" ")
            status = int(code) if code.isdigit() else None
            record["ended"] = when or True
            if status is not None and status > 128:
                record["signal"] = status - 128
            else:
                record["exit_status"] = status
        return record

    @property
    def running(self) -> bool:
        self._poll(0)  # a fresh look: callers wait on this
        return not self.ended and self._state == "R"

    def supervisor_alive(self) -> bool:
        if self._state is None:
            self._poll(0)
        return self._state == "R"

    def read_new(self, size: int = 65536) -> bytes:
        if self._closed:
            return b""
        return self._poll(size)

    def tail_bytes(self, size: int = 8192) -> bytes:
        data = self.transport.call(remote.script(TAIL, self.remote_dir, str(size))).stdout
        return _without_script_lines(data, False)

    def send(self, text: str, *, secret: bool = False) -> None:
        done = self.transport.call(remote.script(SEND, self.remote_dir),
                                   stdin=text.encode("utf-8"))
        if done.returncode != 0:
            raise VcfixError(f"{self.command} on {self.transport.label} no longer takes input")

    def kill(self, signum: int = 15) -> None:
        self.transport.call(remote.script(KILL, self.remote_dir, str(int(signum))))

    def close(self) -> None:
        self._closed = True



_SCRIPT_DONE = re.compile(rb"\r?\n?Script done on [^\n]*\n?")


def _without_script_lines(data: bytes, first: bool) -> bytes:
    """What the tool printed, without the header and footer util-linux script adds to
    its log (some versions write them even with -q)."""
    if first and data.startswith(b"Script started on "):
        data = data.partition(b"\n")[2]
    return _SCRIPT_DONE.sub(b"", data)
