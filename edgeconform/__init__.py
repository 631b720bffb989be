"""edgeconform: an end-to-end conformance harness for the ingress edge of Kubernetes clusters on AWS."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("edgeconform")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+checkout"
