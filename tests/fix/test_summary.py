"""summary.md from the events alone (pure): timeline rows, outage windows, outcomes."""

from __future__ import annotations

from vcfix.fix.summary import Header, render, timeline

HEADER = Header("vcsa01.lab.example", "7.0.3.01400", "embedded", "vsphere.local", "0.1.0",
                "vcfix fix --yes", False, "/var/lib/vcfix/runs/20260601T120000Z")


def ev(time: str, event: str, **fields: object) -> dict:  # type: ignore[type-arg]
    return {"time": f"2026-06-01T12:{time}Z", "event": event, **fields}


EVENTS = [
    ev("00:00", "run_started"),
    ev("00:05", "step_started", step="sts", number=1, command="/bin/bash /root/fixsts.sh"),
    ev("01:00", "service_control", action="stop", ok=True, started="00:30:00"),
    ev("03:00", "service_control", action="start", ok=True, started="01:00:00"),
    ev("03:01", "step_finished", step="sts", number=1, ok=True, summary="STS replaced"),
    ev("03:02", "step_started", step="machine-ssl", number=2,
       command="certificate-manager option 3"),
    ev("04:00", "progress", percent=70, message="Stopping services..."),
    ev("09:00", "step_finished", step="machine-ssl", number=2, ok=False, summary="rolled back"),
    ev("09:30", "run_finished", exit_code=1, outcome="step_failed", ok=False),
]


def test_timeline_has_a_row_per_step_and_per_restart_with_the_outage() -> None:
    rows = timeline(EVENTS)
    assert [r.what for r in rows] == [
        "step 1: sts (/bin/bash /root/fixsts.sh)", "service-control --stop --all",
        "service-control --start --all", "step 2: machine-ssl (certificate-manager option 3)"]
    assert (rows[1].down_from, rows[2].down_to) == ("00:30:00", "2026-06-01T12:03:00Z")
    assert (rows[3].down_from, rows[3].down_to) == ("2026-06-01T12:04:00Z",
                                                    "2026-06-01T12:09:00Z")
    assert rows[3].outcome == "FAILED: rolled back"


def test_a_declined_step_is_a_row_and_an_outcome() -> None:
    events = [ev("00:00", "run_started"), ev("00:10", "step_declined", step="sts", number=1),
              ev("00:11", "run_finished", exit_code=1, outcome="declined", ok=False)]
    text = render(HEADER, events, ["", "Result", "  FAILED sts: declined"], [])
    assert "| step 1: sts | 2026-06-01T12:00:10Z" in text and "declined by the operator" in text
    assert "- sts: declined" in text and "outcome declined, exit code 1" in text
    assert "```text\n\nResult\n  FAILED sts: declined\n```" in text
    assert "## Follow-ups\n\n- none" in text


def test_render_names_the_appliance_and_who_ran_what() -> None:
    text = render(HEADER, EVENTS, [], ["Restart the other nodes"])
    for line in ("| PNID | vcsa01.lab.example |", "| version | 7.0.3 |",
                 "| build | 01400 (update.conf: 7.0.3.01400) |", "| node type | embedded |",
                 "| vcfix | 0.1.0 |", "| command line | `vcfix fix --yes` |",
                 "| mode | unattended |", "- Restart the other nodes"):
        assert line in text, line
