"""TLS security policies: the protocol versions each named AWS policy offers, per load-balancer model.

A policy fixes both ends: ELBSecurityPolicy-2016-08 offers TLS 1.0 to 1.2 and no TLS 1.3, a TLS13 policy adds
1.3, and no Classic ELB policy has TLS 1.3 [CLB-TLSPOL][CLB-POL]. The stand-ins offer exactly a policy's range
(HAProxy ssl-min-ver/ssl-max-ver, Envoy tls_minimum/maximum_protocol_version).

Ranges come from the "Protocols by policy" tables [ALB-TLSPOL][NLB-TLSPOL][CLB-TLSPOL] and, for the 2025-09
post-quantum policies, from the text that introduces them ("TLS 1.3 only, or TLS 1.2 only" clients). A policy
whose range is read from its name alone is marked ``verified=False`` (UNVERIFIED) and says so in messages.

Defaults [ALB-TLSPOL][NLB-TLSPOL]: AWS recommends, and the console uses, ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09; the CLI,
CloudFormation, the CDK and the AWS Load Balancer Controller still default to ELBSecurityPolicy-2016-08 [LBC-SA]
[LBC-IA]. A topology that names no policy means the recommended one (the EKS target sets it explicitly).
"""

from __future__ import annotations

from dataclasses import dataclass

VERSIONS = ("TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
# The oldest version a security baseline accepts (the recommended policies start at TLS 1.2).
BASELINE = "TLSv1.2"
RECOMMENDED = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
AWS_DEFAULT = "ELBSecurityPolicy-2016-08"  # CLI, CloudFormation, CDK, the LBC, the Classic ELB


@dataclass(frozen=True)
class TlsPolicy:
    name: str
    min: str  # the oldest TLS version offered ("TLSv1.0" .. "TLSv1.3")
    max: str  # the newest
    verified: bool = True  # False: the range rests on the policy's name only (UNVERIFIED)

    @property
    def versions(self) -> tuple[str, ...]:
        return VERSIONS[VERSIONS.index(self.min):VERSIONS.index(self.max) + 1]

    def offers(self, version: str) -> bool:
        return version in self.versions

    @property
    def outdated(self) -> bool:
        """It still offers a version older than the baseline (TLS 1.0 or 1.1)."""
        return VERSIONS.index(self.min) < VERSIONS.index(BASELINE)

    def describe(self) -> str:
        span = f"{_short(self.min)} only" if self.min == self.max else f"{_short(self.min)} to {_short(self.max)}"
        return f"{self.name} ({span}{'' if self.verified else '; range UNVERIFIED, read from its name'})"


def _short(version: str) -> str:
    return "TLS " + version.removeprefix("TLSv")


def _table(*rows: tuple[str, str, str] | tuple[str, str, str, bool]) -> dict[str, TlsPolicy]:
    return {row[0]: TlsPolicy(*row) for row in rows}  # type: ignore[arg-type]


_P = "ELBSecurityPolicy-"
# ALB and NLB share the list of policies [ALB-TLSPOL][NLB-TLSPOL].
ELBV2 = _table(
    (f"{_P}TLS13-1-3-2021-06", "TLSv1.3", "TLSv1.3"),
    (f"{_P}TLS13-1-2-2021-06", "TLSv1.2", "TLSv1.3"),
    (f"{_P}TLS13-1-2-Res-2021-06", "TLSv1.2", "TLSv1.3"),
    (f"{_P}TLS13-1-2-Ext1-2021-06", "TLSv1.2", "TLSv1.3"),
    (f"{_P}TLS13-1-2-Ext2-2021-06", "TLSv1.2", "TLSv1.3"),
    (f"{_P}TLS13-1-1-2021-06", "TLSv1.1", "TLSv1.3"),
    (f"{_P}TLS13-1-0-2021-06", "TLSv1.0", "TLSv1.3"),
    (RECOMMENDED, "TLSv1.2", "TLSv1.3"),
    (f"{_P}TLS13-1-2-FIPS-PQ-2025-09", "TLSv1.2", "TLSv1.3", False),
    (f"{_P}TLS13-1-2-PQ-2025-09", "TLSv1.2", "TLSv1.3", False),
    (f"{_P}TLS13-1-2-Ext1-PQ-2025-09", "TLSv1.2", "TLSv1.3", False),
    (f"{_P}TLS13-1-2-Ext2-PQ-2025-09", "TLSv1.2", "TLSv1.3", False),
    (f"{_P}TLS13-1-3-PQ-2025-09", "TLSv1.3", "TLSv1.3", False),
    (f"{_P}TLS13-1-3-FIPS-PQ-2025-09", "TLSv1.3", "TLSv1.3", False),
    (f"{_P}FS-1-2-Res-2020-10", "TLSv1.2", "TLSv1.2"),
    (f"{_P}FS-1-2-Res-2019-08", "TLSv1.2", "TLSv1.2"),
    (f"{_P}FS-1-2-2019-08", "TLSv1.2", "TLSv1.2"),
    (f"{_P}FS-1-1-2019-08", "TLSv1.1", "TLSv1.2"),
    (f"{_P}FS-2018-06", "TLSv1.0", "TLSv1.2"),
    (f"{_P}TLS-1-2-Ext-2018-06", "TLSv1.2", "TLSv1.2"),
    (f"{_P}TLS-1-2-2017-01", "TLSv1.2", "TLSv1.2"),
    (f"{_P}TLS-1-1-2017-01", "TLSv1.1", "TLSv1.2"),
    (AWS_DEFAULT, "TLSv1.0", "TLSv1.2"),
    (f"{_P}2015-05", "TLSv1.0", "TLSv1.2"),
    (f"{_P}TLS-1-0-2015-04", "TLSv1.0", "TLSv1.2"),
)
# Classic ELB: TLS 1.2 at most [CLB-TLSPOL][CLB-POL]. The 2014/2011 policies are missing from the protocol table
# (they may include SSLv3) and are left out.
CLB = _table(
    (f"{_P}TLS-1-2-2017-01", "TLSv1.2", "TLSv1.2"),
    (f"{_P}TLS-1-1-2017-01", "TLSv1.1", "TLSv1.2"),
    (AWS_DEFAULT, "TLSv1.0", "TLSv1.2"),
    (f"{_P}2015-05", "TLSv1.0", "TLSv1.2"),
    (f"{_P}2015-03", "TLSv1.0", "TLSv1.2"),
    (f"{_P}2015-02", "TLSv1.0", "TLSv1.2"),
)

# The old `tls_min_version` field, kept as a way to pick a policy: the oldest version -> the policy it means
# (the mapping the EKS annotation sets used). None: no such policy on the model.
BY_MIN_VERSION = {
    "elbv2": {"TLSv1.0": AWS_DEFAULT, "TLSv1.1": f"{_P}TLS-1-1-2017-01", "TLSv1.2": RECOMMENDED,
              "TLSv1.3": f"{_P}TLS13-1-3-2021-06"},
    "clb": {"TLSv1.0": AWS_DEFAULT, "TLSv1.1": f"{_P}TLS-1-1-2017-01", "TLSv1.2": f"{_P}TLS-1-2-2017-01",
            "TLSv1.3": None},
}
