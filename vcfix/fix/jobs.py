"""The jobs of a run: vendor tools started under a supervisor so that they outlive vcfix.

:func:`launch` numbers them ``<run dir>/jobs/NN-NAME/`` and has the appliance's
transport start the tool (:meth:`vcfix.appliance.transport.Transport.launch_job`): on
this machine the job folder is that folder; over SSH the tool, its output and its input
FIFO live on the appliance and the local folder records where (``remote.json``), so
that the next run can reattach. :func:`read_jobs` finds the jobs of a run that vcfix no
longer follows (an interrupted run). See docs/fix.md, "Tools that outlive vcfix".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Mapping, Optional, Sequence

from vcfix.appliance.jobs import JobHandle
from vcfix.appliance.paths import Appliance
from vcfix.appliance.transport import LOCAL
from vcfix.errors import VcfixError

JOBS = "jobs"
REMOTE = "remote.json"  # in the local job folder of a job that runs on a remote appliance


def launch(run_path: Path, name: str, argv: Sequence[str], *, pty: bool,
           env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None,
           appliance: Optional[Appliance] = None) -> JobHandle:
    """Start ``argv`` (appliance paths) under a supervisor that outlives vcfix."""
    jobs = run_path / JOBS
    jobs.mkdir(mode=0o700, exist_ok=True)
    path = jobs / f"{len(list(jobs.iterdir())) + 1:02d}-{name}"
    if appliance is None or not appliance.transport.remote:
        return LOCAL.launch_job(str(path), argv, pty=pty, env=env, cwd=cwd)
    where = appliance.file("state_dir") / "jobs" / f"{run_path.name}-{path.name}"
    path.mkdir(mode=0o700)
    (path / REMOTE).write_text(json.dumps({"host": appliance.transport.label,
                                           "path": str(where)}) + "\n", encoding="utf-8")
    job = appliance.transport.launch_job(str(where), argv, pty=pty, env=env, cwd=cwd)
    job.path = path
    return job


def read_jobs(run_path: Path, appliance: Optional[Appliance] = None) -> List[JobHandle]:
    """The jobs recorded in a run directory, in the order they started.

    A job that ran on a remote appliance is followed through ``appliance``'s transport
    when it reaches that host; otherwise :class:`VcfixError` says which host to give."""
    folder = run_path / JOBS
    if not folder.is_dir():
        return []
    jobs = []
    for path in sorted(p for p in folder.iterdir() if p.is_dir()):
        record = path / REMOTE
        if not record.exists():
            jobs.append(LOCAL.attach_job(str(path)))
            continue
        data = json.loads(record.read_text(encoding="utf-8"))
        host = str(data.get("host"))
        if appliance is None or appliance.transport.label != host:
            raise VcfixError(f"the run {run_path} ran its tools on {host}",
                             hint=f"run the same vcfix command with --host {host}")
        job = appliance.transport.attach_job(str(data.get("path")))
        job.path = path
        jobs.append(job)
    return jobs


def output_tail(job: JobHandle, lines: int = 3) -> List[str]:
    """The last lines a job printed, ``\\r`` redraws split, control characters dropped."""
    text = job.tail_bytes(8192).decode("utf-8", "replace").replace("\r", "\n")
    kept = ["".join(c for c in line if c.isprintable()).strip() for line in text.split("\n")]
    return [line for line in kept if line][-lines:]
