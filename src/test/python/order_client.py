#!/usr/bin/env python3
"""A client in another language than Java, as the tests drive it: sends orders to orders.in over
AMQP 1.0 (python3-qpid-proton) or STOMP (python3-stomp), one message per order, and reads
orders.in.rejected back with each message's rejectReason; or POSTs them over HTTP (urllib), where
each answer carries its own reason.

  order_client.py send     amqp|stomp|http HOST PORT ORDERS_FILE [TRACEPARENT]   one order per line of the file
  order_client.py bad      amqp|stomp HOST PORT      sends that protocol's malformed cases (BAD) and
                                                     prints the words each rejectReason must hold
  order_client.py bad      http HOST PORT            POSTs the malformed cases and prints each answer
                                                     with the words its error must hold
  order_client.py rejected amqp|stomp HOST PORT N    prints N rejections as JSON lines

Credentials, when the broker asks for them, come from ORDERFLOW_BROKER_USER and
ORDERFLOW_BROKER_PASSWORD; with ORDERFLOW_TLS_CA (a PEM file) the client speaks TLS, checking the
broker's certificate and name, and presents ORDERFLOW_TLS_CERT and ORDERFLOW_TLS_KEY if set.

The malformed cases are built here, so that what goes wrong is each protocol's own framing.
"""
import json
import os
import sys
import time

USER = os.environ.get("ORDERFLOW_BROKER_USER") or None
PASSWORD = os.environ.get("ORDERFLOW_BROKER_PASSWORD") or None
# TLS: the CA (PEM) the broker's certificate is checked against, and the client's own certificate
# and key (PEM) when the broker asks for one
TLS_CA = os.environ.get("ORDERFLOW_TLS_CA") or None
TLS_CERT = os.environ.get("ORDERFLOW_TLS_CERT") or None
TLS_KEY = os.environ.get("ORDERFLOW_TLS_KEY") or None


def amqp_connect(host, port, user, password, timeout):
    from proton import SSLDomain
    from proton.utils import BlockingConnection
    domain = None
    if TLS_CA:
        domain = SSLDomain(SSLDomain.MODE_CLIENT)
        domain.set_trusted_ca_db(TLS_CA)
        domain.set_peer_authentication(SSLDomain.VERIFY_PEER_NAME)
        if TLS_CERT:
            domain.set_credentials(TLS_CERT, TLS_KEY, None)
    # PLAIN over a plain TCP connection must be allowed explicitly
    return BlockingConnection("%s://%s:%d" % ("amqps" if TLS_CA else "amqp", host, port), user=user, password=password,
                              timeout=timeout, ssl_domain=domain,
                              allowed_mechs="PLAIN" if user else "ANONYMOUS", allow_insecure_mechs=True)


def amqp_send(host, port, bodies, traceparent=None, user=USER, password=PASSWORD):
    """Each body is (kind, payload): 'value' an amqp-value string, 'data' a data section with
    application/json, ('data', bytes, content_type) a data section as given, 'sequence' an
    amqp-sequence, 'map' an amqp-value map."""
    from proton import Message
    conn = amqp_connect(host, port, user, password, 30)
    try:
        sender = conn.create_sender("orders.in")
        for body in bodies:
            kind, payload = body[0], body[1]
            props = {"traceparent": traceparent} if traceparent else None
            if kind == "value":
                msg = Message(body=payload, durable=True, properties=props)
            elif kind == "data":
                content_type = body[2] if len(body) > 2 else "application/json"
                data = payload if isinstance(payload, bytes) else payload.encode("utf-8")
                msg = Message(body=data, content_type=content_type, durable=True, properties=props)
                msg.inferred = True  # a binary body goes as a data section
            elif kind == "sequence":
                msg = Message(body=payload, durable=True, properties=props)
                msg.inferred = True  # a list body goes as an amqp-sequence
            elif kind == "map":
                msg = Message(body=payload, durable=True, properties=props)
            else:
                raise ValueError(kind)
            sender.send(msg)  # waits for the broker's settlement: the order is stored
    finally:
        conn.close()


def amqp_rejected(host, port, count, user=USER, password=PASSWORD):
    conn = amqp_connect(host, port, user, password, 60)
    out = []
    try:
        receiver = conn.create_receiver("orders.in.rejected", credit=count)
        while len(out) < count:
            msg = receiver.receive(timeout=60)
            body = msg.body
            if isinstance(body, (bytes, memoryview)):
                body = bytes(body).decode("utf-8", "replace")
            out.append({"reason": (msg.properties or {}).get("rejectReason"), "body": body if isinstance(body, str) else repr(body)})
            receiver.accept()
    finally:
        conn.close()
    return out


def stomp_connect(host, port, user=USER, password=PASSWORD):
    import stomp

    class SaysWhy(stomp.ConnectionListener):
        """What the server or the network did, on stderr, when a connect or a send fails."""

        def on_error(self, frame):
            print("stomp: ERROR frame %s %s" % (frame.headers, frame.body), file=sys.stderr)

        def on_disconnected(self):
            print("stomp: disconnected", file=sys.stderr)

    conn = stomp.Connection([(host, port)], auto_content_length=False)
    conn.set_listener("says-why", SaysWhy())
    if TLS_CA:
        conn.set_ssl(for_hosts=[(host, port)], ca_certs=TLS_CA, cert_file=TLS_CERT, key_file=TLS_KEY)
    conn.connect(user, password, wait=True)
    return conn


def stomp_send(host, port, bodies, traceparent=None, user=USER, password=PASSWORD):
    """Each body is (kind, payload): 'text' a frame without content-length, 'bytes' with one."""
    conn = stomp_connect(host, port, user, password)
    try:
        for kind, payload in bodies:
            headers = {"destination-type": "ANYCAST", "persistent": "true", "receipt": "r-%d" % id(payload)}
            if traceparent:
                headers["traceparent"] = traceparent
            data = payload if isinstance(payload, bytes) else payload.encode("utf-8")
            if kind == "bytes":
                headers["content-length"] = str(len(data))
            conn.send("orders.in", data, headers=headers)
    finally:
        conn.disconnect(receipt="bye")  # the broker answers the receipt after every frame before it


def stomp_rejected(host, port, count, user=USER, password=PASSWORD):
    import stomp

    got = []

    class Listener(stomp.ConnectionListener):
        def on_message(self, frame):
            got.append({"reason": frame.headers.get("rejectReason"), "body": frame.body if isinstance(frame.body, str)
                        else frame.body.decode("utf-8", "replace")})

    conn = stomp_connect(host, port, user, password)
    conn.set_listener("", Listener())
    conn.subscribe("orders.in.rejected", id="1", ack="auto", headers={"subscription-type": "ANYCAST"})
    deadline = time.time() + 60
    while len(got) < count and time.time() < deadline:
        time.sleep(0.05)
    conn.disconnect()
    return got[:count]


def http_post(host, port, body, content_type="application/json", traceparent=None):
    """POSTs one order; returns (status, the answer's JSON or text)."""
    import urllib.error
    import urllib.request
    headers = {"Content-Type": content_type}
    if traceparent:
        headers["traceparent"] = traceparent
    data = body if isinstance(body, bytes) else body.encode("utf-8")
    req = urllib.request.Request("http://%s:%d/api/orders" % (host, port), data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return res.status, json.loads(res.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace")
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text


def http_send(host, port, orders, traceparent=None):
    for o in orders:
        status, answer = http_post(host, port, o, traceparent=traceparent)
        if status not in (200, 201):
            raise SystemExit("POST answered %d: %s" % (status, answer))


# the malformed cases of each protocol, each with the words its rejectReason must hold
BAD = {
    "amqp": [
        (("data", b"\xc3\x28\x7b\x7d"), "not valid UTF-8"),
        (("data", b'{"orderId":"TXT-1"}', "text/plain"), "content-type"),
        (("sequence", ["a", "b"]), "stream message"),
        (("map", {"orderId": "MAP-1"}), "map message"),
        (("value", "[]"), "one order per message"),
        (("value", '{"orderId":"NO-LINES"}'), "lines"),
    ],
    "stomp": [
        (("text", ""), "empty"),
        (("bytes", b""), "empty"),
        (("bytes", b"\xff\xfe{}"), "not valid UTF-8"),
        (("text", '{"orderId":"NO-LINES-S"}'), "lines"),
    ],
    # over HTTP the reason is the answer itself: (body, content type) and the words its error must hold
    "http": [
        (("", "application/json"), "empty body"),
        ((b"\xc3\x28{}", "application/json"), "UTF-8"),
        (('{"orderId":"H-TXT"}', "text/plain"), "Content-Type"),
        (("[]", "application/json"), "one order per request"),
        (('{"orderId":"NO-LINES-H"}', "application/json"), "lines"),
    ],
}


def main(argv):
    mode, proto, host, port = argv[1], argv[2], argv[3], int(argv[4])
    if mode == "send":
        with open(argv[5], encoding="utf-8") as f:
            orders = [line.strip() for line in f if line.strip()]
        traceparent = argv[6] if len(argv) > 6 else None
        if proto == "amqp":
            # half as amqp-value strings, half as data sections with application/json
            amqp_send(host, port, [("value" if i % 2 == 0 else "data", o) for i, o in enumerate(orders)], traceparent)
        elif proto == "http":
            http_send(host, port, orders, traceparent)
        else:
            stomp_send(host, port, [("text" if i % 2 == 0 else "bytes", o) for i, o in enumerate(orders)], traceparent)
    elif mode == "bad" and proto == "http":
        # each answer at once: [{"words", "status", "reason"}]
        out = []
        for (body, content_type), words in BAD["http"]:
            status, answer = http_post(host, port, body, content_type)
            out.append({"words": words, "status": status, "reason": answer.get("error") if isinstance(answer, dict) else answer})
        print(json.dumps(out))
    elif mode == "bad":
        cases = [case for case, _ in BAD[proto]]
        if proto == "amqp":
            amqp_send(host, port, cases)
        else:
            stomp_send(host, port, cases)
        print(json.dumps([words for _, words in BAD[proto]]))
    elif mode == "rejected":
        count = int(argv[5])
        got = amqp_rejected(host, port, count) if proto == "amqp" else stomp_rejected(host, port, count)
        for r in got:
            print(json.dumps(r))
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main(sys.argv)
