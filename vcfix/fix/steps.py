"""The steps vcfix can run, by the plan's step names."""

from __future__ import annotations

from typing import Callable, Dict

from vcfix.fix.certmgr_step import CertificateManagerStep
from vcfix.fix.crl_step import CleanCrlsStep
from vcfix.fix.encipherment_step import DataEnciphermentStep
from vcfix.fix.ext_step import ExtensionThumbprintsStep
from vcfix.fix.step import StepKind
from vcfix.fix.sts_step import StsStep


def step_kinds() -> Dict[str, Callable[[], StepKind]]:
    """The steps vcfix can run; a planned step missing here is reported as not available."""
    return {
        "sts": StsStep,
        "machine-ssl": lambda: CertificateManagerStep("machine-ssl"),
        "solution-users": lambda: CertificateManagerStep("solution-users"),
        "reset-all": lambda: CertificateManagerStep("reset-all"),
        "data-encipherment": DataEnciphermentStep,
        "clean-crls": CleanCrlsStep,
        "extension-thumbprints": ExtensionThumbprintsStep,
    }
