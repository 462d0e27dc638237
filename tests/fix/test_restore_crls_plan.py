"""restore_plan (pure): the CRLs of a clean-crls run, and the CRL count check."""

from __future__ import annotations

import json
from pathlib import Path

from vcfix.fix.restore_backup import Backup
from vcfix.fix.restore_plan import crl_difference, differences, plan_crls

PEM = "-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n"


def backup_with_crls(tmp_path: Path, aliases: list) -> Backup:  # type: ignore[type-arg]
    folder = tmp_path / "run" / "backup"
    folder.mkdir(parents=True)
    name = "vecs.TRUSTED_ROOT_CRLS.crls.json"
    entries = [{"alias": a, "entry_type": "Certification Revocation List", "pem": PEM}
               for a in aliases]
    (folder / name).write_text(json.dumps({"store": "TRUSTED_ROOT_CRLS", "entries": entries}))
    item = {"file": name, "kind": "vecs-crls", "store": "TRUSTED_ROOT_CRLS"}
    return Backup(tmp_path / "run", [item], {"MACHINE_SSL_CERT": ["__MACHINE_CERT"]})


def test_only_the_crls_that_are_gone_come_back(tmp_path: Path) -> None:
    backup = backup_with_crls(tmp_path, ["a", "b", "c", "it's"])
    actions = plan_crls(backup, ["b"], tmp_path / "work")
    assert [a.args[5] for a in actions] == ["a", "c", "it's"]
    first = actions[0]
    assert first.tool == "vecs-cli" and first.part == "vecs"
    assert first.args[:5] == ["entry", "create", "--store", "TRUSTED_ROOT_CRLS", "--alias"]
    (path, text), = first.files.items()
    assert first.args[-2:] == ["--cert", str(path)] and text == PEM
    assert "'it'\\''s'" in actions[2].shown()  # quoted for the operator's shell
    assert plan_crls(backup, ["a", "b", "c", "it's"], tmp_path / "work") == []


def test_a_backup_without_crls_plans_nothing(tmp_path: Path) -> None:
    backup = Backup(tmp_path, [], {"X": []})
    assert plan_crls(backup, [], tmp_path) == []


def test_the_crl_count_must_be_that_of_before() -> None:
    before = {"certificates": [], "sts": [], "checks": {"crls": {"count": 120}}}
    after = {"certificates": [], "sts": [], "checks": {"crls": {"count": 0}}}
    assert crl_difference(before, after) == [
        "TRUSTED_ROOT_CRLS holds 0 CRLs, 120 before the run"]
    assert crl_difference(before, before) == [] and differences(before, after) == []
    older = {"certificates": [], "sts": []}  # written before the checks existed
    assert crl_difference(older, after) == []
