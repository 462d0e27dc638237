"""Judging service-control output: the services a failure names, on one line or many."""

from __future__ import annotations

import json

from vcfix.fix.services import failed_service, failed_services
from vcfix.lab.fakes.service_control import fail_start_error, pending_error

MULTI_LINE = """\
Operation not cancellable. Please wait for it to finish...
Performing start operation on service vmware-vpxd-svcs...
Performing start operation on profile: ALL...
Service-control failed. Error: {
    "detail": [
        {
            "id": "install.ciscommon.command.errinvoke",
            "translatable": "An error occurred while invoking external command : '%(0)s'",
            "args": [
                "Failed to start eam, vsphere-client, vsphere-ui, vpxd-svcs services. Error: Operation not allowed in current service state"
            ],
            "localized": "An error occurred while invoking external command : 'Failed to start eam, vsphere-client, vsphere-ui, vpxd-svcs services. Error: Operation not allowed in current service state'"
        }
    ],
    "componentKey": null,
    "problemId": null,
    "resolution": null
}
"""  # noqa: E501 - as the tool prints it


def test_multi_line_json_error_names_every_service() -> None:
    assert failed_services(MULTI_LINE) == ["eam", "vsphere-client", "vsphere-ui", "vpxd-svcs"]
    assert failed_service(MULTI_LINE) == "eam, vsphere-client, vsphere-ui, vpxd-svcs"


def test_the_lab_prints_the_same_shape() -> None:
    text = pending_error(["vmware-eam", "vsphere-ui"])
    assert text.startswith("Service-control failed. Error: {\n")
    assert json.loads(text.split("Error: ", 1)[1])["detail"][0]["args"]
    assert failed_services(text) == ["eam", "vsphere-ui"]


def test_one_line_error_and_fallback_to_the_service_being_started() -> None:
    assert failed_services(fail_start_error("vmware-vpxd")) == ["vmware-vpxd"]
    broken = "Performing start operation on service vmdird...\nService-control failed. Error: {\n"
    assert failed_services(broken) == ["vmdird"]
    done = "Performing start operation on service vmdird...\nSuccessfully started service vmdird\n"
    assert failed_services(done) == []
