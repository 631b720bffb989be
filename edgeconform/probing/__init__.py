"""Probing mechanics shared by the behaviours: HTTP (``http``), TLS handshakes (``tls``), WebSocket (``websocket``),
raw bytes with a deadline (``raw``) and PROXY protocol headers (``proxy_header``).

Nothing here knows what an edge *should* do: a behaviour (edgeconform.behaviours) decides what to send and
judges what comes back. The modules load the HTTP and WebSocket stacks, so behaviours import them only when a
probe runs, which keeps pytest's start-up (collection, expectations) light.
"""
