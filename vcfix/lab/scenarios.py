"""Lab scenarios: which certificate is valid when, relative to "now".

Pure data and date arithmetic; :mod:`vcfix.lab.build` turns a scenario into
certificates. Every certificate group gets a :class:`Life`: issued so many days
before ``now`` and expiring so many days after it (negative: already expired).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

# Certificate groups a scenario sets the dates of.
ROOT = "root"  # the current VMCA root (TRUSTED_ROOTS, signs everything)
MACHINE_SSL = "machine_ssl"  # MACHINE_SSL_CERT __MACHINE_CERT
SOLUTION_USERS = "solution_users"  # machine, vsphere-webclient, vpxd, ... stores
STS = "sts"  # the STS signing certificate in VMDIR
OTHER = "other"  # data-encipherment, SMS: long-lived, signed by the root
STALE_ROOT = "stale_root"  # an old root left in TRUSTED_ROOTS (only when set)
DATA_ENCIPHERMENT = "data_encipherment"  # its own dates when set (else OTHER's)
STALE_MACHINE_SSL = "stale_machine_ssl"  # an old Machine SSL the Lookup Service still trusts
GROUPS = (ROOT, MACHINE_SSL, SOLUTION_USERS, STS, OTHER, STALE_ROOT, DATA_ENCIPHERMENT,
          STALE_MACHINE_SSL)

TEN_YEARS = 3652
TWO_YEARS = 730


@dataclass(frozen=True)
class Life:
    """Issued ``issued_days_ago`` before now, expiring ``days_left`` after now."""

    issued_days_ago: int
    days_left: int

    def window(self, now: dt.datetime) -> Tuple[dt.datetime, dt.datetime]:
        start = (now - dt.timedelta(days=self.issued_days_ago)).replace(microsecond=0)
        return start, (now + dt.timedelta(days=self.days_left)).replace(microsecond=0)


def _deployed(days_ago: int) -> Dict[str, Life]:
    """A fresh deployment ``days_ago`` days ago: two-year leaves, a ten-year root."""
    long_life = Life(days_ago, TEN_YEARS - days_ago)
    short_life = Life(days_ago, TWO_YEARS - days_ago)
    return {
        ROOT: long_life,
        OTHER: long_life,
        MACHINE_SSL: short_life,
        SOLUTION_USERS: short_life,
        STS: short_life,
    }


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    lives: Mapping[str, Life] = field(default_factory=lambda: _deployed(200))
    stale_extensions: bool = False  # VCDB vpx_ext holds an older vpxd-extension thumbprint
    crls: int = 3  # entries in TRUSTED_ROOT_CRLS

    def life(self, group: str) -> Optional[Life]:
        """The dates of ``group``, or None if the scenario has no such certificate."""
        return self.lives.get(group)

    def window(self, group: str, now: dt.datetime) -> Tuple[dt.datetime, dt.datetime]:
        life = self.lives.get(group)
        if life is None:
            raise KeyError(f"scenario {self.name} has no {group} certificate")
        return life.window(now)


def _renewed(deployed_days_ago: int, **broken: Life) -> Dict[str, Life]:
    """Deployed long ago (root and long-lived certificates from then), the two-year
    certificates renewed 200 days ago, except the ``broken`` ones."""
    lives = _deployed(deployed_days_ago)
    lives.update({group: Life(200, TWO_YEARS - 200) for group in (MACHINE_SSL,
                                                                  SOLUTION_USERS, STS)})
    lives.update(broken)
    return lives


_LIST = (
    Scenario("healthy", "deployed 200 days ago; every certificate has over 180 days left"),
    Scenario(
        "sts-expiring",
        "the STS signing certificate has 100 days left (KB 79248: replace); the rest healthy",
        _renewed(630, sts=Life(630, 100)),
    ),
    Scenario(
        "sts-expired",
        "the STS signing certificate expired 30 days ago; the rest healthy",
        _renewed(760, sts=Life(760, -30)),
    ),
    Scenario(
        "machine-ssl-expired",
        "the Machine SSL certificate expired 15 days ago; the rest healthy",
        _renewed(745, machine_ssl=Life(745, -15)),
    ),
    Scenario(
        "solution-users-expired",
        "every solution user certificate expired 10 days ago; the rest healthy",
        _renewed(740, solution_users=Life(740, -10)),
    ),
    Scenario(
        "root-expired",
        "the VMCA root expired 10 days ago; the leaves' own dates are still valid",
        {
            ROOT: Life(TEN_YEARS + 10, -10),
            OTHER: Life(300, 430),
            MACHINE_SSL: Life(300, 430),
            SOLUTION_USERS: Life(300, 430),
            STS: Life(300, 430),
        },
    ),
    Scenario(
        "outage",
        "deployed 745 days ago: Machine SSL, solution users and STS all expired; root valid",
        _deployed(745),
    ),
    Scenario(
        "stale-root",
        "an expired older root with the same subject (other key) stays in TRUSTED_ROOTS",
        _renewed(200, stale_root=Life(TEN_YEARS + 400, -400)),
    ),
    Scenario(
        "extension-thumbprints-stale",
        "certificates healthy, but EAM, Auto Deploy and Image Builder are registered in VCDB "
        "with an older vpxd-extension thumbprint",
        _renewed(400),
        stale_extensions=True,
    ),
    Scenario(
        "crls-many",
        "TRUSTED_ROOT_CRLS holds 120 CRLs (over 30: vcfix plans clean-crls); the rest healthy",
        crls=120,
    ),
    Scenario(
        "data-encipherment-expired",
        "the data-encipherment certificate expired 10 days ago (option 8, run 400 days ago, "
        "never reissues it); the rest healthy",
        {ROOT: Life(400, TEN_YEARS - 400), OTHER: Life(400, TEN_YEARS - 400),
         **{g: Life(200, TWO_YEARS - 200) for g in (MACHINE_SSL, SOLUTION_USERS, STS)},
         DATA_ENCIPHERMENT: Life(TEN_YEARS + 10, -10)},
    ),
    Scenario(
        "lookup-trust-stale",
        "the Lookup Service registrations still trust the Machine SSL certificate replaced "
        "200 days ago; the certificates are healthy",
        _renewed(745, stale_machine_ssl=Life(745, -15)),
    ),
)

SCENARIOS: Dict[str, Scenario] = {s.name: s for s in _LIST}


# --- From a scenario to certificates (real X.509 through vcfix.lab.pki) ------------------

SOLUTION_USER_STORES = ("machine", "vsphere-webclient", "vpxd", "vpxd-extension")
SOLUTION_USER_STORES_70 = ("hvc", "wcp")  # 7.0 and later


class KeyPool:
    """RSA keys for labs: every key of one lab is distinct.

    Key generation is the cost of building a lab, so the keys made for one lab are
    kept and handed out again (in the same order) to the next lab built by the same
    process; tests build many labs. Labs made by different processes share nothing.
    """

    def __init__(self) -> None:
        self._keys: List[Any] = []

    def reserve(self, count: int) -> None:
        """Make sure ``count`` keys exist (generated in parallel threads: it is the cost)."""
        from concurrent.futures import ThreadPoolExecutor

        from vcfix.lab import pki

        missing = count - len(self._keys)
        if missing > 0:
            with ThreadPoolExecutor(max_workers=min(missing, 8)) as pool:
                self._keys.extend(pool.map(lambda _: pki.new_key(), range(missing)))

    def lab(self) -> Iterator[Any]:
        """A fresh iterator of distinct keys for one lab."""
        from vcfix.lab import pki

        index = 0
        while True:
            if index == len(self._keys):
                self._keys.append(pki.new_key())
            yield self._keys[index]
            index += 1


SHARED_KEYS = KeyPool()


def make_certificates(scenario: Scenario, *, now: dt.datetime, pnid: str, domain: str,
                      machine_id: str, with_hvc_wcp: bool,
                      keys: Optional[KeyPool] = None) -> Dict[str, Any]:
    """The ``vecs``, ``vmdir`` and ``vmca`` parts of a lab state for ``scenario``."""
    import base64

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    from vcfix.lab import pki

    stores = SOLUTION_USER_STORES + (SOLUTION_USER_STORES_70 if with_hvc_wcp else ())
    pool = keys or SHARED_KEYS
    stale = scenario.life(STALE_ROOT) is not None
    old_machine = scenario.life(STALE_MACHINE_SSL) is not None
    # root, (stale root,) Machine SSL, STS, 2 others, (old Machine SSL)
    pool.reserve(5 + stale + old_machine + len(stores))
    key = pool.lab()
    dcs = domain.split(".")
    root_subject = pki.name("CA", dc=dcs, c="US", st="California", o=pnid,
                            ou="VMware Engineering")

    def leaf(cn: str, group: str, sans: Tuple[str, ...] = (pnid,), ou: str = "") -> Any:
        nb, na = scenario.window(group, now)
        subject = pki.name(cn, c="US", st="California", o="VMware",
                           ou=ou or "VMware Engineering")
        return pki.make_leaf(root, subject, nb, na, sans=sans, key=next(key))

    def entry(alias: str, kind: str, issued: Any = None) -> Dict[str, Any]:
        return {"alias": alias, "type": kind, "cert": issued.cert_pem if issued else None,
                "key": issued.key_pem if issued and kind == "Private Key" else None}

    def thumbprint(issued: Any) -> str:
        return str(issued.cert.fingerprint(hashes.SHA1()).hex())  # noqa: S303 - VECS alias

    root = pki.make_ca(root_subject, *scenario.window(ROOT, now), key=next(key))
    roots = [root]
    if stale:
        roots.insert(0, pki.make_ca(root_subject, *scenario.window(STALE_ROOT, now),
                                    key=next(key)))
    crls = []
    for number in range(scenario.crls):
        days = 30 - 10 * number if scenario.crls <= 3 else 30 + number  # distinct CRLs
        built = (x509.CertificateRevocationListBuilder().issuer_name(root.cert.subject)
                 .last_update(now - dt.timedelta(days=days))
                 .next_update(now + dt.timedelta(days=365 - days))
                 .sign(root.key, hashes.SHA256()))
        der = built.public_bytes(serialization.Encoding.DER)
        pem = built.public_bytes(serialization.Encoding.PEM).decode("ascii")
        alias = hashes.Hash(hashes.SHA1())  # noqa: S303 - an alias, not security
        alias.update(der)
        crls.append({"alias": alias.finalize().hex(), "type": "Certification Revocation List",
                     "cert": pem, "key": None})
    vecs: Dict[str, List[Dict[str, Any]]] = {
        "MACHINE_SSL_CERT": [entry("__MACHINE_CERT", "Private Key",
                                   leaf(pnid, MACHINE_SSL))],
        "TRUSTED_ROOTS": [entry(thumbprint(r), "Trusted Cert", r) for r in roots],
        "TRUSTED_ROOT_CRLS": crls,
    }
    for store in stores:
        issued = leaf(f"{store}-{machine_id}", SOLUTION_USERS, ou=f"mID-{machine_id}")
        vecs[store] = [entry(store, "Private Key", issued)]
    vecs["APPLMGMT_PASSWORD"] = [entry("location_password_default", "Secret Key")]
    own_dates = scenario.life(DATA_ENCIPHERMENT) is not None
    vecs["data-encipherment"] = [entry("data-encipherment", "Private Key",
                                       leaf("data-encipherment",
                                            DATA_ENCIPHERMENT if own_dates else OTHER))]
    vecs["SMS"] = [entry("sms_self_signed", "Private Key", leaf("sms", OTHER))]
    sts = leaf("ssoserverSign", STS, sans=())
    chain = [sts.cert_pem, root.cert_pem]
    extra: Dict[str, Any] = {}
    if old_machine:  # what the Lookup Service registrations trust (base64 DER)
        old = leaf(pnid, STALE_MACHINE_SSL).cert.public_bytes(serialization.Encoding.DER)
        extra["lookup_ssl_trust"] = base64.b64encode(old).decode("ascii")
    return {
        **extra,
        "vecs": vecs,
        "vmdir": {
            "tenant_credentials": [{"cn": "TenantCredential-1", "certs": chain,
                                    "key": sts.key_pem}],
            "trusted_chains": [{"cn": "TrustedCertChain-1", "certs": list(chain)}],
            "trusted_certs": [r.cert_pem for r in roots],  # dir-cli trustedcert publish
        },
        "vmca": {"cert": root.cert_pem, "key": root.key_pem},
    }
