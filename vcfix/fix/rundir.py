"""The record of one ``vcfix fix`` run: ``<state-dir>/runs/<UTC timestamp>/``.

- ``transcript.log``: everything the tools printed and what vcfix sent, one
  timestamped line each (``out``, ``sent``, ``cmd`` for a command run outside a
  dialog, ``vcfix`` notes and step headers); ``\\r`` redraws become separate lines.
- ``events.jsonl``: one JSON object per fact (docs/run-record.md).
- ``diagnosis-before.json`` / ``diagnosis-after.json``, ``summary.md``, and
  ``backup/`` with a ``manifest.json``.

Directories are 0700 and files 0600. Everything written passes through the
run's :class:`~vcfix.redact.Redactor`, so no secret it knows reaches the disk.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from vcfix import clock
from vcfix.appliance.paths import Appliance
from vcfix.appliance.safefs import NOFOLLOW, create_private, private_dir
from vcfix.errors import VcfixError
from vcfix.redact import MASK, Redactor

TRANSCRIPT = "transcript.log"
EVENTS = "events.jsonl"
BACKUP = "backup"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
SUMMARY = "summary.md"


def _mkdir_private(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _append(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | NOFOLLOW, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(text)


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, mode 0600."""
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)  # a leftover (or planted) file is never written through
    fd = create_private(tmp)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class RunDir:
    """One run's directory; create it with :meth:`create`."""

    def __init__(self, path: Path, redactor: Redactor) -> None:
        self.path = path
        self.redactor = redactor
        self._stream = redactor.stream()
        self._partial = ""  # tool output after the last line break, not yet written
        self.appliance: Optional[Appliance] = None  # where its tools run (set by the fix)

    @classmethod
    def create(cls, state_dir: Union[str, Path], redactor: Optional[Redactor] = None, *,
               now: Optional[dt.datetime] = None) -> RunDir:
        """Make ``<state_dir>/runs/<UTC timestamp>/`` (with a ``-N`` suffix if taken)."""
        stamp = (now or clock.now()).astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        runs = Path(state_dir) / "runs"
        private_dir(Path(state_dir))  # refuses a symlink, a file, others' folders (exit 2)
        private_dir(runs, "run folder")
        try:
            for n in range(1, 1000):
                path = runs / (stamp if n == 1 else f"{stamp}-{n}")
                try:
                    path.mkdir(mode=0o700)
                    break
                except FileExistsError:
                    continue
            else:
                raise VcfixError(f"cannot find a free run directory name under {runs}")
            os.chmod(path, 0o700)
            _mkdir_private(path / BACKUP)
            os.chmod(path / BACKUP, 0o700)
            for name in (TRANSCRIPT, EVENTS):
                _append(path / name, "")
        except OSError as exc:
            raise VcfixError(f"cannot create the run directory under {runs}: {exc.strerror}",
                             hint="use --state-dir to choose a writable folder") from exc
        return cls(path, redactor or Redactor())

    # -- transcript ---------------------------------------------------------------------

    def transcript_output(self, chunk: str) -> None:
        """Tool output as read (any chunking); complete lines are written, timestamped."""
        text = self._partial + self._stream.feed(chunk)
        # Hold a trailing "\r": it may be the first half of "\r\n".
        lines, self._partial = _split_lines(text)
        self._write_lines("out ", lines)

    def transcript_sent(self, text: str) -> None:
        """What vcfix sent to the tool (callers pass ``********`` for secrets)."""
        self.flush_output()
        self._write_lines("sent", [text])

    def note(self, text: str) -> None:
        self.flush_output()
        self._write_lines("vcfix", [text])

    def header(self, text: str) -> None:
        """A section header (one per step, per service restart): ``==== text ====``."""
        self.note(f"==== {text} ====")

    def command(self, command: str, exit_code: int, output: str, *, keep: bool) -> None:
        """A vendor command run outside a dialog: its line and exit code, and its output
        when ``keep`` (service-control); other outputs hold certificates and keys."""
        self.flush_output()
        lines = [line for line in output.splitlines() if line.strip()]
        shown = "" if keep else f" ({len(lines)} lines of output, not kept)"
        self._write_lines("cmd  ", [f"{command} -> exit {exit_code}{shown}"])
        if keep:
            self._write_lines("out ", lines)

    def flush_output(self) -> None:
        """Write the pending partial output line (a prompt waiting for its answer)."""
        text = self._partial + self._stream.flush()
        self._partial = ""
        lines, rest = _split_lines(text)
        self._write_lines("out ", lines + ([rest.rstrip("\r")] if rest.rstrip("\r") else []))

    def transcript_sink(self) -> _Sink:
        """A file-like object for pexpect's ``logfile_read``."""
        return _Sink(self)

    def _write_lines(self, tag: str, lines: List[str]) -> None:
        if not lines:
            return
        stamp = clock.iso(clock.now())
        body = "".join(f"{stamp} {tag}| {self.redactor.redact(line)}\n" for line in lines)
        _append(self.path / TRANSCRIPT, body)

    # -- events and JSON files ------------------------------------------------------------

    def event(self, name: str, **fields: Any) -> Dict[str, Any]:
        """Append one event to events.jsonl; returns the (redacted) record."""
        record = self.redactor.redact_obj({"time": clock.iso(clock.now()), "event": name,
                                           **fields})
        assert isinstance(record, dict)
        _append(self.path / EVENTS, json.dumps(record, sort_keys=False, default=str) + "\n")
        return record

    def write_json(self, name: str, data: Any) -> Path:
        path = self.path / name
        text = json.dumps(self.redactor.redact_obj(data), indent=2, default=str) + "\n"
        _write_private(path, text.encode("utf-8"))
        return path

    def write_diagnosis(self, when: str, data: Any) -> Path:
        """``diagnosis-before.json`` or ``diagnosis-after.json``."""
        if when not in ("before", "after"):
            raise ValueError(when)
        return self.write_json(f"diagnosis-{when}.json", data)

    def write_text(self, name: str, text: str) -> Path:
        """A text file of the run (``summary.md``), redacted, 0600."""
        path = self.path / name
        _write_private(path, self.redactor.redact(text).encode("utf-8"))
        return path

    # -- backups --------------------------------------------------------------------------

    def backup(self, name: str, data: Union[str, bytes], *, source: str,
               **meta: Any) -> Path:
        """Keep a copy of ``data`` in backup/ under a new name (never overwritten), with a
        manifest entry: file, source, SHA-256, size, time and ``meta`` (kind, store...)."""
        if not name or "/" in name or name.startswith(".") or name == MANIFEST:
            raise ValueError(f"bad backup name {name!r}")
        raw = data.encode("utf-8") if isinstance(data, str) else data
        raw = self.redactor.redact_bytes(raw)
        manifest = self.manifest()
        path = self.path / BACKUP / name
        if any(e.get("file") == name for e in manifest["entries"]) or path.exists():
            raise VcfixError(f"the backup already holds {name}: two items would share one "
                             "file; nothing was overwritten")
        _write_private(path, raw)
        manifest["entries"].append({
            "file": name, "source": self.redactor.redact(source), **meta,
            "sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw),
            "time": clock.iso(clock.now())})
        self._save_manifest(manifest)
        if manifest.get("complete"):
            self._mirror([name])
        return path

    def backup_complete(self, **counts: Any) -> None:
        """Mark the backup taken before the first change as complete (manifest); over SSH
        also keep a copy on the appliance until the run ends (:meth:`drop_appliance_copy`)."""
        manifest = self.manifest()
        manifest["complete"] = True
        manifest["counts"] = counts
        self._save_manifest(manifest)
        self._mirror([str(e["file"]) for e in manifest["entries"]])

    def appliance_copy(self) -> Optional[Path]:
        """Where the backup is also kept on a remote appliance (None when vcfix runs there)."""
        if self.appliance is None or not self.appliance.transport.remote:
            return None
        return self.appliance.file("state_dir") / "backups" / self.path.name

    def _mirror(self, names: List[str]) -> None:
        folder = self.appliance_copy()
        if folder is None or self.appliance is None:
            return
        files = {name: (self.path / BACKUP / name).read_bytes() for name in [*names, MANIFEST]}
        self.appliance.transport.put_files(str(folder), files)

    def drop_appliance_copy(self) -> None:
        """The run ended here: the appliance's copy of the backup is no longer needed."""
        folder = self.appliance_copy()
        if folder is not None and self.appliance is not None:
            with contextlib.suppress(VcfixError):
                self.appliance.transport.remove_tree(str(folder))

    def manifest(self) -> Dict[str, Any]:
        path = self.path / BACKUP / MANIFEST
        if not path.exists():
            return {"format": MANIFEST_FORMAT, "complete": False, "entries": []}
        data: Dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def _save_manifest(self, manifest: Dict[str, Any]) -> None:
        text = json.dumps(manifest, indent=2) + "\n"
        _write_private(self.path / BACKUP / MANIFEST, text.encode("utf-8"))


class _Sink:
    """pexpect ``logfile_read`` adapter: tool output goes to the transcript, redacted."""

    def __init__(self, rundir: RunDir) -> None:
        self._rundir = rundir

    def write(self, data: Union[str, bytes]) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        self._rundir.transcript_output(text)

    def flush(self) -> None:
        """Partial lines are kept until complete (see RunDir.flush_output)."""


def _split_lines(text: str) -> Tuple[List[str], str]:
    """Complete lines (split at \\r\\n, \\n or a lone \\r) and the unfinished rest."""
    lines: List[str] = []
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\n" or (ch == "\r" and i + 1 < len(text)):
            lines.append(text[start:i])
            i += 2 if ch == "\r" and text[i + 1] == "\n" else 1
            start = i
            continue
        i += 1
    return [line for line in lines if line.strip()], text[start:]


__all__ = ["MASK", "RunDir", "TRANSCRIPT", "EVENTS", "BACKUP", "MANIFEST"]
