"""Playbooks: every shipped one loads, recognises every wording variant, and validation names
the file and the entry."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Set

import pytest
import yaml

from vcfix.errors import VcfixError
from vcfix.fix.dialog import playbook
from vcfix.fix.dialog.playbook import Playbook

CM_PLAYBOOKS = ("machine-ssl", "solution-users", "reset-all")

# Wording variants (reference: certificates.md; 6.5/6.7/7.0/8.0 and spacing drift).
VARIANTS: Dict[str, List[str]] = {
    "menu": ["Option[1 to 8]: ", "Option [1 to 8] : ", "Option[1 to 8]:"],
    "use_config_file": [
        "Do you wish to generate all certificates using configuration file : Option[Y/N] ? : ",
        "Do you wish to generate all certificates using configuration file: Option [Y/N] ?:",
    ],
    "username": [
        "Enter username [Administrator@vsphere.local]:",
        "Enter username [administrator@corp.local] : ",
        "Enter username:",
        "Enter user name [Administrator@vsphere.local]: ",
    ],
    "password": ["Enter password:", "Enter password : ", "Enter Password:"],
    "psc_address": [
        "Enter IP address or host name of the Platform Services Controller : ",
        "Enter Platform Services Controller IP/FQDN:",
        "Please provide the PSC address : ",
    ],
    "reconfigure": [
        "certool.cfg file exists, Do you wish to reconfigure : Option[Y/N] ? : ",
        "certool.cfg file exists, Do you wish to reconfigure: Option [Y/N]?:",
    ],
    "country": [
        "Enter proper value for 'Country' [Default value : US] : ",
        "Enter proper value for 'Country' [Previous value : DE] : ",
        "Enter proper value for 'Country' : ",
        "Enter proper value for \"Country\" [Default value: US]:",
    ],
    "name": [
        "Enter proper value for 'Name' [Default value : CA] : ",
        "Enter proper value for 'Name' [Previous value : CA] : ",
    ],
    "organization": ["Enter proper value for 'Organization' [Default value : VMware] : "],
    "org_unit": [
        "Enter proper value for 'OrgUnit' [Default value : VMware Engineering] : ",
        "Enter proper value for 'OrgUnit' [optional] : ",
        "Enter proper value for 'OrgUnit' [optional] [Previous value : Eng] : ",
    ],
    "state": ["Enter proper value for 'State' [Default value : California] : "],
    "locality": ["Enter proper value for 'Locality' [Default value : Palo Alto] : "],
    "ip_address": [
        "Enter proper value for 'IPAddress' [optional] : ",
        "Enter proper value for 'IPAddress' (Provide comma separated values for multiple IP "
        "addresses) [optional] : ",
    ],
    "email": ["Enter proper value for 'Email' [Default value : email@acme.com] : "],
    "hostname": [
        "Enter proper value for 'Hostname' (Provide comma separated values for multiple "
        "Hostname entries) [Enter valid Fully Qualified Domain Name(FQDN), For Example : "
        "example.domain.com] : ",
        "Enter proper value for 'Hostname' [Enter valid Fully Qualified Domain Name(FQDN), "
        "For Example : example.domain.com] : ",
        "Enter proper value for 'Hostname' [Previous value : vcsa01.corp.example] : ",
    ],
    "vmca_name": [
        "Enter proper value for VMCA 'Name' :",
        "Enter proper value for VMCA 'Name' [Default value : vcsa01.corp.example] : ",
    ],
    "continue": [
        "Continue operation : Option[Y/N] ? : ",
        "Continue operation: Option [Y/N]?:",
    ],
}

NOT_PROMPTS = [
    "Note : Use Ctrl-D to exit.",
    "Please provide valid SSO and VC privileged user credential to perform certificate "
    "operations.",
    "Please configure certool.cfg with proper values before proceeding to next step.",
    "You are going to regenerate Machine SSL cert using VMCA",
    "Status : 35% Completed [Replacing Machine SSL Cert...]",
    "Status : 100% Completed [All tasks completed successfully]",
    "Enter proper value for 'Country' [Default value : US] : US",  # already answered
]


def matching(pb: Playbook, line: str) -> Set[str]:
    """Ids of every prompt whose pattern matches ``line`` up to its end."""
    return {p.id for p in pb.prompts
            if re.search(rf"(?:{p.pattern.pattern})\s*$", line, p.pattern.flags)}


def test_every_shipped_playbook_loads() -> None:
    loaded = {name: playbook.load(name) for name in playbook.NAMES}
    assert [loaded[n].option for n in CM_PLAYBOOKS] == [3, 6, 8]
    assert loaded["fixsts"].tool == "fixsts" and loaded["fixsts"].option is None
    for pb in loaded.values():
        assert pb.follow_ups and pb.log.startswith("/") and pb.restarts


@pytest.mark.parametrize("name", CM_PLAYBOOKS)
def test_each_prompt_matches_its_variants_and_no_other_prompt(name: str) -> None:
    pb = playbook.load(name)
    for prompt in pb.prompts:
        assert prompt.id in VARIANTS, f"no wording variants listed for {prompt.id}"
        for line in VARIANTS[prompt.id]:
            assert matching(pb, line) == {prompt.id}, line
    for line in NOT_PROMPTS:
        assert matching(pb, line) == set(), line


def test_vmca_name_is_not_confused_with_name() -> None:
    pb = playbook.load("machine-ssl")
    assert matching(pb, "Enter proper value for VMCA 'Name' :") == {"vmca_name"}
    assert matching(pb, "Enter proper value for 'Name' :") == {"name"}


def test_answers_of_the_certificate_manager_playbooks() -> None:
    pb = playbook.load("reset-all")
    assert pb.prompts[0].id == "menu" and pb.prompt("menu").answer.value == "menu_option"
    assert pb.prompt("use_config_file").answer.value == "Y"
    assert pb.prompt("reconfigure").answer.value == "Y"
    cont = pb.prompt("continue")
    assert cont.confirm and cont.yes_no and cont.answer.value == "Y"
    assert pb.prompt("password").secret and pb.prompt("password").max_repeats == 0
    assert pb.prompt("hostname").answer.value == "hostnames"
    assert pb.prompt("psc_address").optional
    assert pb.timeouts.overall >= 3600


def failure_kinds(pb: Playbook, line: str) -> List[str]:
    return [f.kind for f in pb.failures if f.pattern.search(line)]


@pytest.mark.parametrize("name", CM_PLAYBOOKS)
def test_failure_progress_and_success_lines(name: str) -> None:
    pb = playbook.load(name)
    assert failure_kinds(pb, "Status : 60% Completed [Operation failed, performing automatic "
                             "rollback]") == ["rollback"]
    assert failure_kinds(pb, "Error while replacing Machine SSL Cert, please see "
                             "/var/log/vmware/vmcad/certificate-manager.log for more "
                             "information.") == ["error"]
    assert failure_kinds(pb, "Performing rollback of Machine SSL Cert...") == ["rollback"]
    done = [f for f in pb.failures if f.pattern.search("Rollback completed successfully")]
    assert [f.rolled_back for f in done] == [True]
    for refused in ("Incorrect Password! Try Again! (2 attempt/s left)",
                    "Reached max number of attempts, terminating operation.",
                    "Login failed: invalid credentials"):
        assert "credentials" in failure_kinds(pb, refused), refused
    for fine in ("Status : 35% Completed [Replacing Machine SSL Cert...]",
                 "Attempting to start all services",
                 "Please provide valid SSO and VC privileged user credential to perform "
                 "certificate operations.",
                 "Status : 100% Completed [All tasks completed successfully]"):
        assert failure_kinds(pb, fine) == [], fine
    assert pb.progress is not None
    match = pb.progress.search("\rStatus : 35% Completed [Replacing Machine SSL Cert...]")
    assert match and match.group("percent") == "35"
    assert match.group("message") == "Replacing Machine SSL Cert..."
    loose = pb.progress.search("Status: 70 % Completed [Restarting services ]")
    assert loose and loose.group("percent") == "70" and loose.group("message") == \
        "Restarting services"
    assert pb.success[0].search("Status : 100% Completed [All tasks completed successfully]")
    assert not pb.success[0].search("Status : 10% Completed [All tasks completed successfully")


def test_fixsts_playbook() -> None:
    pb = playbook.load("fixsts")
    assert matching(pb, "Enter password for administrator@vsphere.local: ") == {"password"}
    assert matching(pb, "Detected SSO domain name: vsphere.local") == set()
    lines = ['adding new entry "cn=TenantCredential-1,cn=vsphere.local,cn=Tenants,'
             'cn=IdentityManager,cn=Services,dc=vsphere,dc=local"',
             'adding new entry "cn=TrustedCertChain-1,cn=TrustedCertificateChains,'
             'cn=vsphere.local,cn=Tenants,cn=IdentityManager,cn=Services,dc=vsphere,dc=local"',
             "Replacement finished - Please restart services on all vCenters and PSCs in your "
             "SSO domain"]
    for pattern, line in zip(pb.success, lines):
        assert pattern.search(line)
    assert len(pb.success) == 3
    assert failure_kinds(pb, "Detected this node is a vCenter server with external PSC.") == \
        ["error"]
    assert failure_kinds(pb, "/bin/bash^M: bad interpreter: No such file or directory") == \
        ["error"]
    assert "credentials" in failure_kinds(pb, "ldap_bind: Invalid credentials (49)")


# -- validation -------------------------------------------------------------------------------

BASE = {
    "id": "t", "tool": "certificate-manager", "option": 3, "description": "test",
    "log": "/var/log/x.log", "success": ["done"],
    "prompts": [
        {"id": "menu", "description": "menu", "pattern": "Option:", "answer":
         {"derived": "menu_option"}},
        {"id": "country", "description": "c", "pattern": "Country:", "answer":
         {"key": "certificate.country"}},
    ],
}


def write_playbook(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def with_prompt(**changes: object) -> Dict[str, object]:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["prompts"][1].update(changes)
    for key, value in list(data["prompts"][1].items()):
        if value is None:
            del data["prompts"][1][key]
    return data


def load_error(tmp_path: Path, data: object) -> str:
    path = write_playbook(tmp_path, data)
    with pytest.raises(VcfixError) as info:
        playbook.load_file(path)
    assert str(path) in info.value.message
    return info.value.message


def test_the_base_test_playbook_is_valid(tmp_path: Path) -> None:
    pb = playbook.load_file(write_playbook(tmp_path, BASE))
    assert [p.id for p in pb.prompts] == ["menu", "country"]
    assert pb.timeouts.prompt == 30


@pytest.mark.parametrize(("changes", "words"), [
    ({"pattern": "Country: ("}, "bad regular expression"),
    ({"answer": {"key": "certificate.colour"}}, "unknown answer key 'certificate.colour'"),
    ({"answer": {"derived": "favourite"}}, "unknown derived answer 'favourite'"),
    ({"answer": {"guess": "x"}}, "bad answer"),
    ({"answer": {"constant": True}}, "bad answer"),
    ({"id": "menu"}, "duplicate id"),
    ({"pattern": None}, "missing field(s) pattern"),
    ({"secret": "yes"}, "'secret' must be bool"),
    ({"max_repeats": -1}, "'max_repeats' must be 0 or more"),
    ({"max_repeats": "2"}, "'max_repeats' must be int"),
    ({"optinal": True}, "unknown field(s) optinal"),
    ({"answer": {"key": "sso.password"}}, "'secret: true' is required"),
    ({"secret": True}, "'secret: true' is required"),
    ({"yes_no": True}, "must answer constant"),
    ({"confirm": True, "answer": {"constant": "Y"}}, "must be yes_no"),
])
def test_bad_prompt_entries_name_file_and_entry(
        tmp_path: Path, changes: Dict[str, object], words: str) -> None:
    message = load_error(tmp_path, with_prompt(**changes))
    assert "prompts[1]" in message
    assert words in message


@pytest.mark.parametrize(("changes", "entry", "words"), [
    ({"tool": "vecs-mangler"}, "tool", "unknown tool"),
    ({"option": None}, "option", "need a menu option"),
    ({"option": 9}, "option", "1 to 8"),
    ({"description": None}, "top level", "missing field(s) description"),
    ({"success": []}, "success", "at least one"),
    ({"success": ["ok("]}, "success", "bad regular expression"),
    ({"progress": "Status (\\d+)%"}, "progress", "named groups"),
    ({"timeouts": {"prompt": 0}}, "timeouts", "'prompt' must be a positive number"),
    ({"timeouts": {"forever": 1}}, "timeouts", "unknown field(s) forever"),
    ({"failures": [{"pattern": "x", "kind": "oops"}]}, "failures[0]", "kind must be"),
    ({"follow_ups": "call someone"}, "follow_ups", "list of strings"),
    ({"outage_minutes": 1.5}, "top level", "'outage_minutes' must be int"),
    ({"colour": "red"}, "top level", "unknown field(s) colour"),
])
def test_bad_top_level_entries_name_file_and_entry(
        tmp_path: Path, changes: Dict[str, object], entry: str, words: str) -> None:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    for key, value in changes.items():
        if value is None and key != "option":
            del data[key]
        else:
            data[key] = value
    message = load_error(tmp_path, data)
    assert f": {entry}" in message and words in message


def test_menu_option_needs_an_option(tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data.update(tool="fixsts", option=None)
    assert "menu_option needs" in load_error(tmp_path, data)


def test_yaml_errors_in_a_playbook_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nprompts: [\n")
    with pytest.raises(VcfixError, match=r"bad.yaml: YAML syntax error at line"):
        playbook.load_file(path)
    path.write_text("id: x\nid: y\n")
    with pytest.raises(VcfixError, match=r"id \(line 2\) repeats the key of line 1"):
        playbook.load_file(path)


def test_unknown_playbook_name() -> None:
    with pytest.raises(VcfixError, match="unknown playbook 'option-9'"):
        playbook.load("option-9")
