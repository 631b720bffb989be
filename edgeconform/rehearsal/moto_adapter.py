"""moto's server mode as the rehearsal's AWS API, with the few gaps fixed that stop the AWS Load Balancer Controller.

moto (PyPI ``moto[server]``, pinned in pyproject.toml: every gap below was measured on that version) emulates AWS's
API, not its validation: it accepts any target-group attribute key or value, any annotation-derived setting the
API's shape allows. What the rehearsal tests is the LBC's own parsing and modelling; AWS's checks are not emulated.

Each gap, moto's exact behaviour, and what AWS does instead (the API reference of the action, Elastic Load Balancing
API version 2015-12-01, and AWS Shield's):

1. ``ModifyListener`` with ``Protocol=TLS`` (or on a TLS listener) answers ``UnsupportedProtocol: Protocol TLS is not
   supported``, and only an HTTPS listener takes ``Certificates``. AWS: TLS is a listener protocol of the NLB and
   ModifyListener takes "[HTTPS and TLS listeners] The default certificate".
2. ``DescribeListeners`` (and the Create/ModifyListener answers) list every certificate of the listener, the SNI ones
   added by ``AddListenerCertificates`` too. AWS: ``Listener.Certificates`` is "the default certificate for the
   listener" only; the others come from ``DescribeListenerCertificates``. With moto's answer the LBC sees a changed
   default certificate on every reconcile and modifies the listener each time.
3. ``DescribeLoadBalancers`` has no ``EnablePrefixForIpv6SourceNat``. AWS: "on" or "off" for every network load
   balancer ("off" unless it was set). The LBC compares it with what it wants for NLBs.
4. Shield's ``GetSubscriptionState`` is missing (moto answers 404 for the action). AWS: ``ACTIVE`` or ``INACTIVE``.
   The rehearsal runs the LBC with ``--enable-shield=false``; the action is answered (INACTIVE) for what still asks.
5. ``DescribeTrustStores`` is missing (mutual TLS in verify mode names a trust store). AWS: the trust stores by ARN
   or name. The rehearsal's trust stores are named in ``EDGECONFORM_MOTO_TRUST_STORES`` (name=ARN,...): the seed's.
6. ``CreateListener``/``ModifyListener`` drop ``MutualAuthentication``, so ``DescribeListeners`` never shows it. AWS:
   the listener's mutual authentication (mode, trust store ARN, ...) as it was set.
7. ``DescribeSubnets`` gives a subnet's IPv6 block the state ``"{'State': 'associated'}"`` (the association's whole
   state dict, printed) instead of ``associated``. AWS: ``Ipv6CidrBlockState.State`` is ``associated``. The LBC
   takes only associated IPv6 blocks, so no dual-stack load balancer found a subnet.
8. ``CreateListener`` on a port the load balancer already listens on creates a second listener: moto's
   ``DuplicateListener`` check looks for the port among the listeners' ARNs. AWS: ``DuplicateListener``, "A listener
   with the specified port already exists". When a slow answer made the LBC retry a CreateListener, moto held two
   listeners on one port and the rehearsal read back [443:TLS, 443:TLS].

Run as ``python -m edgeconform.rehearsal.moto_adapter --host H --port P`` (inside the rehearsal's namespace).
"""

from __future__ import annotations

import json
import os
import sys

MOTO_VERSION = "5.2.5"  # the version the gaps were measured on (pyproject.toml pins it)


def patch() -> None:
    """Apply the eight fixes to moto's classes (in this process only)."""
    from moto.elbv2 import models as elbv2_models
    from moto.elbv2 import responses as elbv2_responses
    from moto.shield import responses as shield_responses

    backend, response = elbv2_models.ELBv2Backend, elbv2_responses.ELBV2Response

    # 1. ModifyListener on TLS: moto's code for HTTPS, then TLS put back with its default certificate.
    modify = backend.modify_listener

    def modify_listener(self, arn, port=None, protocol=None, ssl_policy=None, certificates=None, actions=None):
        listener = self.describe_listeners(load_balancer_arn=None, listener_arns=[arn])[0]
        if "TLS" not in (protocol, listener.protocol if protocol is None else None):
            return modify(self, arn, port, protocol, ssl_policy, certificates, actions)
        result = modify(self, arn, port, None, ssl_policy, None, actions)
        result.protocol = "TLS"
        if certificates:  # the default certificate only: the SNI ones stay (AWS keeps them too)
            default = certificates[0]["CertificateArn"]
            result.certificate = default
            result.certificates = [default] + [c for c in result.certificates[1:] if c != default]
        return result

    backend.modify_listener = modify_listener

    # 2. Listener.Certificates is the default certificate alone.
    def default_only(data):
        return [{"CertificateArn": data[0]}] if data else None

    for output in ("CreateListenerOutput", "DescribeListenersOutput", "ModifyListenerOutput"):
        response.RESPONSE_KEY_PATH_TO_TRANSFORMER[f"{output}.Listeners.Listener.Certificates"] = default_only

    # 3. EnablePrefixForIpv6SourceNat: "off" unless set (the serializer reads the attribute of that name).
    elbv2_models.FakeLoadBalancer.enable_prefix_for_ipv6_source_nat = "off"

    # 4. Shield GetSubscriptionState.
    shield_responses.ShieldResponse.get_subscription_state = lambda self: json.dumps({"SubscriptionState": "INACTIVE"})

    # 5. DescribeTrustStores, from the seeded names.
    from moto.core.responses import ActionResult

    def describe_trust_stores(self):
        stores = dict(item.split("=", 1) for item in os.environ.get("EDGECONFORM_MOTO_TRUST_STORES", "").split(",")
                      if "=" in item)
        names, arns = self._get_param("Names", []), self._get_param("TrustStoreArns", [])
        found = [{"Name": name, "TrustStoreArn": arn, "Status": "ACTIVE", "NumberOfCaCertificates": 1,
                  "TotalRevokedEntries": 0} for name, arn in stores.items()
                 if (not names or name in names) and (not arns or arn in arns)]
        if (names or arns) and not found:
            from moto.elbv2.exceptions import ELBClientError
            raise ELBClientError("TrustStoreNotFound", f"One or more trust stores not found: {names or arns}")
        return ActionResult({"TrustStores": found})

    response.describe_trust_stores = describe_trust_stores

    # 6. MutualAuthentication kept on the listener (the serializer reads `mutual_authentication`).
    for action in ("create_listener", "modify_listener"):
        original = getattr(response, action)

        def keep_mutual_authentication(self, _original=original):
            result = _original(self)
            mutual = self._get_param("MutualAuthentication")
            if mutual:
                for listener in result.result["Listeners"]:
                    listener.mutual_authentication = mutual
            return result

        setattr(response, action, keep_mutual_authentication)

    # 7. A subnet's IPv6 block state: the state string, not its dict.
    from moto.ec2.models.subnets import Subnet

    def ipv6_cidr_block_association_set(self):
        return [{"ipv6CidrBlock": item["ipv6CidrBlock"], "associationId": item["associationId"],
                 "ipv6CidrBlockState": {"state": item["ipv6CidrBlockState"]["State"]}}
                for item in self.ipv6_cidr_block_associations.values()
                if item["ipv6CidrBlockState"]["State"] == "associated"]

    Subnet.ipv6_cidr_block_association_set = property(ipv6_cidr_block_association_set)


    # 8. One listener per port.
    create = backend.create_listener

    def create_listener(self, load_balancer_arn, protocol, port, *args, **kwargs):
        balancer = self.load_balancers.get(load_balancer_arn)
        if balancer is not None and any(str(item.port) == str(port) for item in balancer.listeners.values()):
            raise elbv2_models.DuplicateListenerError()
        return create(self, load_balancer_arn, protocol, port, *args, **kwargs)

    backend.create_listener = create_listener


def main(argv: list[str] | None = None) -> None:
    import moto
    from moto import server

    if moto.__version__ != MOTO_VERSION:  # the gaps (and this adapter) are those of one version
        print(f"moto_adapter: moto {moto.__version__} is installed, the adapter was measured on {MOTO_VERSION}: "
              f"pip install 'moto[server]=={MOTO_VERSION}'", file=sys.stderr)
        sys.exit(2)
    patch()
    server.main(argv)


if __name__ == "__main__":
    main()
