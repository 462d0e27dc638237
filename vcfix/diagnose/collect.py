"""Gather what a diagnosis needs from the appliance (the I/O half of diagnose).

Vendor calls run concurrently: the node facts, the store list and the machine
account lookup start together; each store is listed as soon as the store list
is known, and the STS read starts as soon as the machine account is known. A
slow appliance therefore costs roughly the longest chain of calls, not their sum.

``TRUSTED_ROOT_CRLS`` is never read as a certificate store (it holds no certificate to
judge, and ``--text`` on it can take close to an hour on a large appliance): its entries
are only counted, without ``--text`` and within a time limit (:mod:`vcfix.diagnose.crls`).
The Lookup Service registrations (``lstool.py list``) are read for the trust check
(:mod:`vcfix.diagnose.ls_trust`). Neither failing makes the diagnosis unknown.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

from vcfix.appliance.parsers import ldif, lwreg, service_control, vecs, vmafd
from vcfix.appliance.paths import Appliance
from vcfix.appliance.runner import Runner
from vcfix.diagnose.checks import CheckInputs
from vcfix.diagnose.crls import STORE as CRL_STORE
from vcfix.diagnose.crls import read_crls
from vcfix.diagnose.extensions import ExtensionsRead
from vcfix.diagnose.ls_trust import read_registrations
from vcfix.diagnose.model import NodeInfo, StsEntry
from vcfix.diagnose.read_extensions import read_registrations as read_vpx_ext
from vcfix.errors import VcfixError
from vcfix.redact import escape_controls

SKIP_STORES = ("TRUSTED_ROOT_CRLS",)
VMDIR_KEY = r"[HKEY_THIS_MACHINE\services\vmdir]"
STS_FILTER = (
    "(|(objectClass=vmwSTSTenantCredential)(objectClass=vmwSTSTenantTrustedCertificateChain))"
)
MAX_WORKERS = 16  # vendor calls mostly wait; a VCSA has about 14 stores

T = TypeVar("T")


@dataclass
class Collected:
    """Everything read from the appliance; ``errors`` lists what could not be read."""

    node: Optional[NodeInfo] = None
    stores: Dict[str, List[vecs.VecsEntry]] = field(default_factory=dict)
    sts: List[StsEntry] = field(default_factory=list)
    skipped_stores: List[str] = field(default_factory=list)  # not read on purpose
    unread_stores: List[str] = field(default_factory=list)  # failed to read ("VMDIR" = STS)
    errors: List[VcfixError] = field(default_factory=list)
    services: Optional[Dict[str, List[str]]] = None  # service-control --status --all
    services_error: Optional[str] = None  # why ``services`` is None
    checks: CheckInputs = field(default_factory=CheckInputs)  # CRL count, LS registrations
    extensions: Optional[ExtensionsRead] = None  # VCDB vpx_ext (diagnose.extensions)


def collect(appliance: Appliance, runner: Optional[Runner] = None) -> Collected:
    runner = runner or Runner(appliance)
    out = Collected()
    with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
        pnid = pool.submit(_vmafd, runner, "get-pnid")
        domain = pool.submit(_vmafd, runner, "get-domain-name")
        store_list = pool.submit(_store_list, runner)
        account = pool.submit(_machine_account, runner)
        services = pool.submit(_services, runner)
        node_type = _guard(out, appliance.node_type)
        lookup = pool.submit(read_registrations, appliance, runner, node_type)
        dc_name = (
            pool.submit(_vmafd, runner, "get-dc-name") if node_type == "management" else None
        )
        extensions = pool.submit(read_vpx_ext, runner, node_type)

        stores = _guard(out, store_list.result) or []
        listed: "List[Tuple[str, Future[List[vecs.VecsEntry]]]]" = []
        crls = pool.submit(read_crls, runner) if CRL_STORE in stores else None
        for store in stores:
            if store in SKIP_STORES:
                out.skipped_stores.append(store)
            else:
                listed.append((store, pool.submit(_entries, runner, store)))

        domain_name = _guard(out, domain.result)
        creds = _guard(out, account.result)
        sts_host = "localhost"
        if dc_name is not None:
            sts_host = _guard(out, dc_name.result) or ""
        sts_future = None
        if creds and domain_name and sts_host:
            sts_future = pool.submit(_read_sts, runner, creds, domain_name, sts_host)

        version = _guard(out, appliance.version)
        pnid_value = _guard(out, pnid.result)
        if pnid_value and domain_name and version and node_type:
            out.node = NodeInfo(pnid_value, domain_name, version, node_type)
        for store, future in listed:
            entries = _guard(out, future.result)
            if entries is None:
                out.unread_stores.append(store)
            else:
                out.stores[store] = entries
        sts = _guard(out, sts_future.result) if sts_future is not None else None
        if sts is None:
            out.unread_stores.append("VMDIR")
        else:
            out.sts = sts
        try:
            out.services = services.result()
        except VcfixError as exc:
            out.services_error = exc.one_line()
        out.extensions = extensions.result()
        _read_checks(out, crls, lookup, listed=bool(stores))
    return out


def _read_checks(out: Collected, crls: "Optional[Future[Any]]", lookup: "Future[Any]",
                 listed: bool) -> None:
    """The checks' inputs; a failure is kept as the check's reason, never a diagnosis error."""
    try:
        if crls is not None:
            out.checks.crl_count = crls.result().count
        elif listed:
            out.checks.crl_count = 0  # no TRUSTED_ROOT_CRLS store: no CRL
    except VcfixError as exc:
        out.checks.crl_error = escape_controls(exc.one_line())
    try:
        out.checks.registrations = lookup.result()
    except VcfixError as exc:
        out.checks.registrations_error = escape_controls(exc.one_line())


def _guard(out: Collected, call: Callable[[], T]) -> Optional[T]:
    try:
        return call()
    except VcfixError as exc:
        out.errors.append(exc)
        return None


def _vmafd(runner: Runner, command: str) -> str:
    done = runner.run("vmafd-cli", [command, "--server-name", "localhost"])
    return vmafd.parse_value(done.stdout, done.command)


def _store_list(runner: Runner) -> List[str]:
    done = runner.run("vecs-cli", ["store", "list"])
    return vecs.parse_store_list(done.stdout, done.command)


def _entries(runner: Runner, store: str) -> List[vecs.VecsEntry]:
    done = runner.run("vecs-cli", ["entry", "list", "--store", store])
    return list(vecs.parse_entry_list(done.stdout, done.command))


def _services(runner: Runner) -> Dict[str, List[str]]:
    done = runner.run("service-control", ["--status", "--all"])
    return service_control.parse_status(done.stdout, done.command)


def _machine_account(runner: Runner) -> Tuple[str, str]:
    done = runner.run("lwregshell", ["list_values", VMDIR_KEY], sensitive=True)
    values = lwreg.parse_values(done.stdout, done.command)
    dn, password = values.get("dcAccountDN"), values.get("dcAccountPassword")
    if not dn or not password:
        raise VcfixError(
            f"'{done.command}' did not show dcAccountDN and dcAccountPassword",
            hint="the machine account is needed to read the STS certificate from VMDIR",
        )
    return dn, password


def domain_dn(domain: str) -> str:
    return ",".join(f"dc={part}" for part in domain.split(".") if part)


def _read_sts(
    runner: Runner, creds: Tuple[str, str], domain: str, host: str
) -> List[StsEntry]:
    dn, password = creds
    base = f"cn={domain},cn=Tenants,cn=IdentityManager,cn=Services,{domain_dn(domain)}"
    with runner.appliance.secret_file(password) as path:
        done = runner.run(
            "ldapsearch",
            ["-LLL", "-x", "-H", f"ldap://{host}:389", "-D", dn, "-y", path,
             "-b", base, STS_FILTER, "userCertificate"],
        )
    entries = ldif.parse_ldif(done.stdout, done.command)
    found = sts_entries(entries)
    if not found:
        raise VcfixError(
            f"'{done.command}' found no STS signing certificate (TenantCredential) in VMDIR"
        )
    return found


def sts_entries(entries: Sequence[ldif.LdifEntry]) -> List[StsEntry]:
    """TenantCredential-N and TrustedCertChain-N entries with their certificates."""
    found: List[StsEntry] = []
    for entry in entries:
        first = entry.dn.split(",", 1)[0]
        cn = first.split("=", 1)[1].strip() if "=" in first else first
        certs = [v for v in entry.attrs.get("usercertificate", []) if isinstance(v, bytes)]
        if cn.lower().startswith("tenantcredential"):
            found.append(StsEntry(cn, "tenant-credential", certs))
        elif cn.lower().startswith("trustedcertchain"):
            found.append(StsEntry(cn, "trusted-chain", certs))
    return found
