"""The moto adapter's eight fixes, each against moto in this process (no server, no socket): the behaviour AWS
documents for the action, which moto 5.2.5 lacks (edgeconform/rehearsal/moto_adapter.py says how it differs)."""

from __future__ import annotations

import ipaddress
import json

import pytest

moto = pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

from edgeconform.rehearsal import moto_adapter  # noqa: E402

REGION = "eu-west-1"


@pytest.fixture(scope="module", autouse=True)
def patched():
    moto_adapter.patch()


@pytest.fixture(scope="module")
def mocked(patched):
    """One moto mock for the module, and one client per service (starting a mock and making clients cost a second a
    test; the adapter patches moto's classes, which a backend reset keeps)."""
    clients: dict[str, object] = {}

    def client(service: str):
        if service not in clients:
            clients[service] = boto3.client(service, region_name=REGION)
        return clients[service]

    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "rehearsal")
        env.setenv("AWS_SECRET_ACCESS_KEY", "rehearsal")
        with moto.mock_aws():
            yield client


@pytest.fixture
def aws(mocked):
    """Each test starts with no load balancer, target group or certificate (those backends reset); EC2 keeps what
    earlier tests made, and each test makes a VPC of its own."""
    from moto.backends import get_backend

    for service in ("elbv2", "acm"):
        get_backend(service).reset()
    return mocked


def _network(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    block = vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    v6 = list(ipaddress.ip_network(block).subnets(new_prefix=64))
    subnets = [ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}",
                                 Ipv6CidrBlock=str(v6[i]))["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    return vpc["VpcId"], subnets


def _certificate(aws, name: str) -> str:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert(name)
    return aws("acm").import_certificate(Certificate=cert.cert_chain_pems[0].bytes(),
                                         PrivateKey=cert.private_key_pem.bytes(),
                                         CertificateChain=ca.cert_pem.bytes())["CertificateArn"]


def _nlb_tls(aws):
    _vpc, subnets = _network(aws)
    elbv2 = aws("elbv2")
    lb = elbv2.create_load_balancer(Name="nlb", Subnets=subnets, Type="network")["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="tg", Protocol="TCP", Port=80, VpcId=_vpc, TargetType="ip")
    tg = group["TargetGroups"][0]["TargetGroupArn"]
    default, sni = _certificate(aws, "default.example.test"), _certificate(aws, "app.example.test")
    listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TLS", Port=443,
                                     Certificates=[{"CertificateArn": default}],
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
    elbv2.add_listener_certificates(ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": sni}])
    return elbv2, lb, listener["ListenerArn"], default, sni


def test_modify_listener_takes_tls_and_keeps_the_sni_certificates(aws):  # gap 1
    elbv2, _lb, listener, default, sni = _nlb_tls(aws)
    other = _certificate(aws, "other.example.test")
    changed = elbv2.modify_listener(ListenerArn=listener, Protocol="TLS", SslPolicy="ELBSecurityPolicy-2016-08",
                                    Certificates=[{"CertificateArn": other}])["Listeners"][0]
    assert changed["Protocol"] == "TLS" and changed["SslPolicy"] == "ELBSecurityPolicy-2016-08"
    assert changed["Certificates"] == [{"CertificateArn": other}]
    listed = elbv2.describe_listener_certificates(ListenerArn=listener)["Certificates"]
    assert [c["CertificateArn"] for c in listed if c.get("IsDefault")] == [other]
    assert sni in [c["CertificateArn"] for c in listed if not c.get("IsDefault")]
    assert default not in [c["CertificateArn"] for c in listed]


def test_describe_listeners_names_only_the_default_certificate(aws):  # gap 2
    elbv2, lb, _listener, default, sni = _nlb_tls(aws)
    described = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
    assert described["Certificates"] == [{"CertificateArn": default}]
    extra = elbv2.describe_listener_certificates(ListenerArn=described["ListenerArn"])["Certificates"]
    assert {"CertificateArn": sni, "IsDefault": False} in extra


def test_describe_load_balancers_says_enable_prefix_for_ipv6_source_nat(aws):  # gap 3
    _vpc, subnets = _network(aws)
    elbv2 = aws("elbv2")
    elbv2.create_load_balancer(Name="nlb", Subnets=subnets, Type="network")
    assert elbv2.describe_load_balancers()["LoadBalancers"][0]["EnablePrefixForIpv6SourceNat"] == "off"


def test_shield_subscription_state_is_answered(aws):  # gap 4
    assert aws("shield").get_subscription_state()["SubscriptionState"] == "INACTIVE"


def test_trust_stores_are_described_by_name_and_arn(aws, monkeypatch):  # gap 5
    arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/ca/0123456789abcdef"
    monkeypatch.setenv("EDGECONFORM_MOTO_TRUST_STORES", f"ca={arn}")
    elbv2 = aws("elbv2")
    assert elbv2.describe_trust_stores(Names=["ca"])["TrustStores"][0]["TrustStoreArn"] == arn
    assert elbv2.describe_trust_stores(TrustStoreArns=[arn])["TrustStores"][0]["Name"] == "ca"
    with pytest.raises(elbv2.exceptions.ClientError, match="TrustStoreNotFound"):
        elbv2.describe_trust_stores(Names=["absent"])


def test_mutual_authentication_is_kept_on_the_listener(aws):  # gap 6
    vpc, subnets = _network(aws)
    elbv2 = aws("elbv2")
    lb = elbv2.create_load_balancer(Name="alb", Subnets=subnets)["LoadBalancers"][0]
    tg = elbv2.create_target_group(Name="tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    mutual = {"Mode": "verify", "TrustStoreArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/ca/1"}
    listener = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
        Certificates=[{"CertificateArn": _certificate(aws, "app.example.test")}], MutualAuthentication=mutual,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])["Listeners"][0]
    described = elbv2.describe_listeners(ListenerArns=[listener["ListenerArn"]])["Listeners"][0]
    assert described["MutualAuthentication"]["Mode"] == "verify"
    assert described["MutualAuthentication"]["TrustStoreArn"] == mutual["TrustStoreArn"]


def test_subnet_ipv6_block_state_is_the_state_string(aws):  # gap 7
    _vpc, subnets = _network(aws)
    subnet = aws("ec2").describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]
    assert subnet["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlockState"] == {"State": "associated"}


def test_the_adapter_refuses_another_moto_version(monkeypatch, capsys):
    monkeypatch.setattr(moto, "__version__", "0.0.1")
    with pytest.raises(SystemExit) as exit_:
        moto_adapter.main(["-p", "0"])
    assert exit_.value.code == 2
    assert f"moto[server]=={moto_adapter.MOTO_VERSION}" in capsys.readouterr().err


def test_the_pinned_moto_is_the_measured_one():
    text = (__import__("pathlib").Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert f'"moto[server]=={moto_adapter.MOTO_VERSION}"' in text
    assert json.dumps(moto.__version__) == json.dumps(moto_adapter.MOTO_VERSION)


def test_a_second_listener_on_a_port_is_refused(aws):  # gap 8
    elbv2, lb, _listener, default, _sni = _nlb_tls(aws)
    tg = elbv2.describe_target_groups()["TargetGroups"][0]["TargetGroupArn"]
    with pytest.raises(elbv2.exceptions.ClientError, match="DuplicateListener"):
        elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TLS", Port=443,
                              Certificates=[{"CertificateArn": default}],
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    assert len(elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]) == 1
