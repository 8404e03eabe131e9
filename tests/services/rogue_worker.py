#!/usr/bin/python3
"""A test service that answers every order once, plus effects loadgen must
not count as the run's: one naming another run, one naming an order never
placed, and two it cannot read (not JSON; JSON without the key), from
instance 0 only. pika, blocking. EXIT_AT_START=1: exits before it is ready (a broken deploy)."""
import json
import os
import sys

import pika

if os.environ.get("EXIT_AT_START"):
    print("config error: no DATABASE_URL", flush=True)
    sys.exit(1)
orders, receipts = os.environ["ORDERS"], os.environ["RECEIPTS"]
conn = pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"]))
ch = conn.channel()
ch.confirm_delivery()
ch.queue_declare(orders, durable=True)
ch.queue_declare(receipts, durable=True)
run = os.environ["LOADGEN_RUN_ID"]
junk = (json.dumps({"order_id": "0badcafe-0-1"}), json.dumps({"order_id": f"{run}-0-999999"}),
             "not json at all", json.dumps({"id": "x"}))
for body in junk if os.environ["SERVICE_INSTANCE"] == "0" else ():
    ch.basic_publish("", receipts, body.encode())


def on_order(ch, method, props, body):
    oid = json.loads(body)["order_id"]
    ch.basic_publish("", receipts, json.dumps({"order_id": oid}).encode(),
                     pika.BasicProperties(delivery_mode=2))
    ch.basic_ack(method.delivery_tag)


ch.basic_qos(prefetch_count=50)
ch.basic_consume(orders, on_order)
print("rogue worker ready", flush=True)
ch.start_consuming()
