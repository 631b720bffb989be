"""The control plane's certificates: one CA (trustme) for the API server's serving certificate, the admin client
certificate (group system:masters), the LBC's webhook serving certificate; the service-account signing key; and
the LBC's kubeconfig (the API server inside the namespace)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


@dataclass(frozen=True)
class Pki:
    ca: Path
    apiserver_cert: Path
    apiserver_key: Path
    admin_cert: Path
    admin_key: Path
    sa_private: Path
    sa_public: Path
    webhook_dir: Path  # tls.crt / tls.key, as the LBC's --webhook-cert-dir expects
    kubeconfig: Path
    ca_pem: bytes


def write(directory: Path, apiserver_port: int = 6443) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="edgeconform rehearsal CA")
    files: dict[str, Path] = {}

    def leaf(stem: str, *identities: str, **names: str) -> None:
        cert = ca.issue_cert(*identities, **names)
        files[f"{stem}_cert"], files[f"{stem}_key"] = directory / f"{stem}.crt", directory / f"{stem}.key"
        files[f"{stem}_cert"].write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
        files[f"{stem}_key"].write_bytes(cert.private_key_pem.bytes())

    leaf("apiserver", "127.0.0.1", "localhost", "kubernetes", "kubernetes.default.svc", "10.96.0.1")
    leaf("admin", "edgeconform-admin", common_name="edgeconform-admin", organization_name="system:masters")
    webhook_dir = directory / "webhook"
    webhook_dir.mkdir()
    webhook = ca.issue_cert("127.0.0.1", "localhost")
    (webhook_dir / "tls.crt").write_bytes(b"".join(blob.bytes() for blob in webhook.cert_chain_pems))
    (webhook_dir / "tls.key").write_bytes(webhook.private_key_pem.bytes())
    ca_path = directory / "ca.crt"
    ca.cert_pem.write_to_path(str(ca_path))
    key = ec.generate_private_key(ec.SECP256R1())
    sa_private, sa_public = directory / "sa.key", directory / "sa.pub"
    sa_private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    sa_public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo))
    kubeconfig = directory / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "rehearsal",
        "clusters": [{"name": "rehearsal", "cluster": {"server": f"https://127.0.0.1:{apiserver_port}",
                                                        "certificate-authority": str(ca_path)}}],
        "users": [{"name": "admin", "user": {"client-certificate": str(files["admin_cert"]),
                                             "client-key": str(files["admin_key"])}}],
        "contexts": [{"name": "rehearsal", "context": {"cluster": "rehearsal", "user": "admin"}}]}))
    return Pki(ca_path, files["apiserver_cert"], files["apiserver_key"], files["admin_cert"], files["admin_key"],
               sa_private, sa_public, webhook_dir, kubeconfig, ca.cert_pem.bytes())
