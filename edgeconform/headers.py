"""The request headers in which the controller tells the backend what it concluded.

The local controller (Envoy) sets them from its own state; on kind the controller is configured to set the
same names. Each is overwritten at the controller, so a client cannot forge them.

A controller whose headers cannot carry variables states what it can (edgeconform.controllers.base.Controller:
``reports``, ``client_header``): Traefik's client is its own X-Real-Ip (the TCP peer after PROXY, or what a
trusted sender passed on), the port and "TLS ended here" come from a headers middleware per entry point, and the
other names are removed there; see docs/controllers/traefik.md.
"""

CLIENT = "x-edgeconform-client"  # the client address the controller determined (PROXY, XFF or peer)
PEER = "x-edgeconform-peer"  # the controller's TCP peer (the physical connection)
TLS = "x-edgeconform-tls"  # TLS version of the client's connection to the controller; empty when cleartext
SNI = "x-edgeconform-sni"  # SNI name the controller received
PORT = "x-edgeconform-port"  # which controller port the request arrived on: http, https or redirect
# The client address of the controller's connection once PROXY is read (the TCP peer without PROXY). Optional: a
# controller that appends it to X-Forwarded-For (Envoy) need not send it; one that replaces X-Forwarded-For with
# its conclusion (ingress-nginx without compute-full-forwarded-for) must, or PROXY and X-Forwarded-For look alike.
CONNECTION = "x-edgeconform-connection"

# Envoy command operators that produce them.
ENVOY_VALUES: list[tuple[str, str]] = [
    (CLIENT, "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"),
    (PEER, "%DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT%"),
    (TLS, "%DOWNSTREAM_TLS_VERSION%"),
    (SNI, "%REQUESTED_SERVER_NAME%"),
]
