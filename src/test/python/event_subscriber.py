#!/usr/bin/env python3
"""A subscriber in another language than Java, as docs/events.md describes one: a durable AMQP 1.0
subscription of its own on orderflow.events (Debian's python3-qpid-proton), each event checked
against its published JSON Schema (python3-jsonschema) and deduplicated by its id.

  event_subscriber.py subscribe HOST PORT               creates the durable subscription, then leaves
  event_subscriber.py receive   HOST PORT SCHEMAS N     takes events until N distinct ones, checks each,
                                                        prints a JSON summary

SCHEMAS is the folder of <type>.v<version>.schema.json files (src/main/resources/contract/events,
or the same files from GET /api/contract/events/...).
"""
import json
import os
import sys

from proton.reactor import Container, DurableSubscription
from proton.utils import BlockingConnection

CONTAINER_ID = "billing"  # the subscriber's identity: its subscription lives on under it
SUBSCRIPTION = "billing-events"  # the link name; the broker names the durable queue after both


def connect(host, port, timeout=30):
    container = Container()
    container.container_id = CONTAINER_ID
    return BlockingConnection("amqp://%s:%s" % (host, port), timeout=timeout, container=container)


def receiver(conn, credit=100):
    return conn.create_receiver("orderflow.events", name=SUBSCRIPTION, options=DurableSubscription(), credit=credit)


def main(argv):
    mode, host, port = argv[1], argv[2], argv[3]
    if mode == "subscribe":
        conn = connect(host, port)
        receiver(conn)
        conn.close()  # the link is not closed, only left: the subscription and what reaches it stay
        return
    import jsonschema
    schemas_dir, wanted = argv[4], int(argv[5])
    validators = {}
    seen, duplicates, problems, types = set(), 0, [], {}
    conn = connect(host, port, timeout=120)
    link = receiver(conn)
    while len(seen) < wanted:
        msg = link.receive(timeout=120)
        event = json.loads(msg.body if isinstance(msg.body, str) else bytes(msg.body).decode("utf-8"))
        props = msg.properties or {}
        key = "%s.v%s" % (event.get("type"), event.get("schemaVersion"))
        if key not in validators:
            with open(os.path.join(schemas_dir, key + ".schema.json"), encoding="utf-8") as f:
                validators[key] = jsonschema.Draft202012Validator(json.load(f), format_checker=jsonschema.FormatChecker())
        for error in validators[key].iter_errors(event):
            problems.append("%s %s: %s" % (event.get("type"), event.get("eventId"), error.message))
        # the CloudEvents attributes, as the AMQP binding names them
        expected = {"cloudEvents_id": event["eventId"], "cloudEvents_type": event["type"], "cloudEvents_specversion": "1.0",
                    "cloudEvents_subject": event["orderId"], "cloudEvents_time": event["occurredAt"]}
        for name, value in expected.items():
            if props.get(name) != value:
                problems.append("%s: %s is %r, expected %r" % (event["eventId"], name, props.get(name), value))
        if not str(props.get("cloudEvents_source", "")).startswith("/orderflow/"):
            problems.append("%s: cloudEvents_source is %r" % (event["eventId"], props.get("cloudEvents_source")))
        if msg.content_type != "application/json":
            problems.append("%s: content-type is %r" % (event["eventId"], msg.content_type))
        if event["eventId"] in seen:
            duplicates += 1  # delivery is at least once: an id seen before changes nothing
        else:
            seen.add(event["eventId"])
            types[event["type"]] = types.get(event["type"], 0) + 1
        link.accept()
    conn.close()
    print(json.dumps({"events": len(seen), "duplicates": duplicates, "types": types, "problems": problems[:20]}))


if __name__ == "__main__":
    main(sys.argv)
