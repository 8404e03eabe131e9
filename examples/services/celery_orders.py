"""The order worker as a Celery app (a framework none of us wrote).

loadgen publishes Celery task messages itself (protocol 2: the task name
and id in headers, `[args, kwargs, embed]` as the JSON body), so the worker
runs unchanged: `celery -A celery_orders worker --concurrency=2`. The task charges the card
(WORK_MS), publishes a receipt to RECEIPTS with publisher confirms, and
records the order as paid.

VARIANT:
  default     Celery's defaults: the task message is acked *before* the
              task runs, so a worker killed with SIGKILL loses the tasks its
              pool was running (lost_effects)
  acks-late   task_acks_late + task_reject_on_worker_lost, and the task
              skips an order already paid (sqlite): a killed worker's task
              is redelivered and paid once
"""
import os
import sqlite3
import time

import pika
from celery import Celery
from celery.signals import worker_ready

ENV = os.environ
SAFE = ENV.get("VARIANT", "default") == "acks-late"
QUEUE = ENV.get("ORDERS", "celery_orders")
RECEIPTS = ENV.get("RECEIPTS", "celery_receipts")
WORK_S = float(ENV.get("WORK_MS", "100")) / 1000

app = Celery("celery_orders", broker=ENV["AMQP_URL"])
app.conf.update(task_default_queue=QUEUE, task_acks_late=SAFE, task_reject_on_worker_lost=SAFE,
                worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True,
                worker_hijack_root_logger=False)

_out = {}


def _channel():
    """One publishing connection per worker process, with confirms."""
    ch = _out.get("ch")
    if ch is None or ch.is_closed:
        conn = pika.BlockingConnection(pika.URLParameters(ENV["AMQP_URL"]))
        ch = conn.channel()
        ch.confirm_delivery()
        ch.queue_declare(RECEIPTS, durable=True)
        _out["ch"] = ch
    return ch


def _db():
    db = _out.get("db")
    if db is None:
        path = os.path.join(ENV.get("LOADGEN_RUN_DIR") or "/tmp", f"celery-{ENV.get('LOADGEN_RUN_ID', 'x')}.db")
        db = _out["db"] = sqlite3.connect(path, timeout=30, isolation_level=None)
        for _ in range(100):  # another process may be switching the new file to WAL
            try:
                db.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError:
                time.sleep(0.05)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS paid (order_id TEXT PRIMARY KEY)")
    return db


@worker_ready.connect
def declare_receipts(**_):
    """The receipts queue exists before the first order (loadgen reads it from the start)."""
    _channel()


@app.task(name="orders.charge")
def charge(order_id, amount):
    if SAFE and _db().execute("SELECT 1 FROM paid WHERE order_id = ?", (order_id,)).fetchone():
        return "already paid"
    time.sleep(WORK_S)
    _channel().basic_publish("", RECEIPTS, f'{{"order_id": "{order_id}", "amount": {amount}}}'.encode(),
                             pika.BasicProperties(delivery_mode=2, content_type="application/json",
                                                  message_id=f"receipt-{order_id}"))  # at-least-once: a stable key
    if SAFE:
        _db().execute("INSERT OR IGNORE INTO paid VALUES (?)", (order_id,))
    return "paid"
