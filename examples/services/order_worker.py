#!/usr/bin/python3
"""An order worker in the shape of the usual FastAPI + aio-pika tutorials.

It consumes OrderPlaced messages from `orders`, charges the card (a short
await), publishes a receipt to `receipts`, and acks. A declined card is
retried through `orders_retry` (a TTL queue that dead-letters back to
`orders`) and parked in `orders_dlq` after MAX_TRIES. Receipts go out
with publisher confirms, and a redelivered order that was already paid is
recognised by its order_id in sqlite (an idempotent consumer).

VARIANT picks one of the bugs such workers ship with, each caught by a
loadgen gate (docs/services.md):
  correct         the above
  auto-ack        consumes with no_ack: a kill -9 loses what was prefetched
  ack-first       acks on receipt, then works: a kill -9 loses the work in flight
  no-dedup        no sqlite check and a new message id per attempt: a kill
                  between the receipt and the ack pays twice
  no-confirm      receipts without publisher confirms, input acked at once:
                  a broker kill loses receipts the broker never wrote
  no-retry-limit  declined cards retry forever, never parked

Environment: AMQP_URL (loadgen gives each instance its own fault proxy),
VARIANT, ORDERS and RECEIPTS (the queues; ORDERS_retry and ORDERS_dlq follow), WORK_MS (time a payment takes), POST_MS (bookkeeping after the
receipt, before the ack), PREFETCH, MAX_TRIES, RETRY_MS, DECLINE_EVERY
(an order whose amount is a multiple of it is always declined),
CRASH_AFTER (exit 3 after that many orders: a crash loop for
`restart: on-failure`), LOADGEN_RUN_DIR and LOADGEN_RUN_ID (where the
sqlite file goes).
"""
import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
import uuid

import aio_pika

ENV = os.environ
VARIANT = ENV.get("VARIANT", "correct")
WORK_S = float(ENV.get("WORK_MS", "50")) / 1000
POST_S = float(ENV.get("POST_MS", "30")) / 1000
PREFETCH = int(ENV.get("PREFETCH", "20"))
MAX_TRIES = int(ENV.get("MAX_TRIES", "3"))
RETRY_MS = int(ENV.get("RETRY_MS", "500"))
DECLINE_EVERY = int(ENV.get("DECLINE_EVERY", "0"))
ORDERS = ENV.get("ORDERS", "orders")  # the queue names; retry and DLQ follow the input's
RECEIPTS = ENV.get("RECEIPTS", "receipts")
CRASH_AFTER = int(ENV.get("CRASH_AFTER", "0"))  # a bug of another kind: exit(3) after this many orders
VARIANTS = ("correct", "auto-ack", "ack-first", "no-dedup", "no-confirm", "no-retry-limit")


def log(*a):
    print(f"[{ENV.get('SERVICE_NAME', 'worker')}-{ENV.get('SERVICE_INSTANCE', '0')}]", *a, flush=True)


class Ledger:
    """Paid orders, shared by every instance (WAL: one writer at a time)."""

    def __init__(self):
        d = ENV.get("LOADGEN_RUN_DIR") or "/tmp"
        path = ENV.get("DB") or os.path.join(d, f"orders-{ENV.get('LOADGEN_RUN_ID', 'x')}.db")
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        # Instances start together: switching a new file to WAL can find it
        # locked by the other one, and the busy timeout does not cover that.
        for attempt in range(100):
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError:
                time.sleep(0.05)
        # A commit without an fsync: the window between a receipt's confirm
        # and its order marked paid (a kill there pays twice) stays ~0.1 ms.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS paid (order_id TEXT PRIMARY KEY)")

    def seen(self, order_id):
        return self.db.execute("SELECT 1 FROM paid WHERE order_id = ?", (order_id,)).fetchone() is not None

    def mark(self, order_id):
        self.db.execute("INSERT OR IGNORE INTO paid VALUES (?)", (order_id,))


async def main():
    if VARIANT not in VARIANTS:
        log(f"VARIANT must be one of {', '.join(VARIANTS)}")
        sys.exit(2)
    ledger = Ledger()
    conn = await aio_pika.connect_robust(ENV["AMQP_URL"])
    confirms = VARIANT != "no-confirm"
    ch = await conn.channel(publisher_confirms=confirms)
    await ch.set_qos(prefetch_count=PREFETCH)
    orders = await ch.declare_queue(ORDERS, durable=True)
    await ch.declare_queue(RECEIPTS, durable=True)
    await ch.declare_queue(ORDERS + "_retry", durable=True, arguments={
        "x-message-ttl": RETRY_MS, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": ORDERS})
    await ch.declare_queue(ORDERS + "_dlq", durable=True)
    ex = ch.default_exchange

    async def forward(msg, queue, tries):
        headers = dict(msg.headers or {})
        headers["x-tries"] = tries
        await ex.publish(aio_pika.Message(msg.body, headers=headers, content_type=msg.content_type,
                                          delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue)

    async def ack(msg):
        try:
            await msg.ack()
        except Exception as e:  # the channel died: the broker redelivers it
            log("ack failed:", e)

    async def handle(msg):
        order = json.loads(msg.body)
        oid = order["order_id"]
        if VARIANT == "ack-first":
            await ack(msg)
        if VARIANT != "no-dedup" and ledger.seen(oid):
            if VARIANT not in ("auto-ack", "ack-first"):
                await ack(msg)
            return
        await asyncio.sleep(WORK_S)  # charging the card
        tries = int((msg.headers or {}).get("x-tries", 0)) + 1
        if DECLINE_EVERY and int(order.get("amount", 1)) % DECLINE_EVERY == 0:
            parked = VARIANT != "no-retry-limit" and tries >= MAX_TRIES
            await forward(msg, ORDERS + ("_dlq" if parked else "_retry"), tries)
        else:
            receipt = json.dumps({"order_id": oid, "status": "paid"}).encode()
            # A stable message id: the receipt is at-least-once (killed after its
            # confirm, before the order is marked paid, it goes again), and a
            # reader dedups it by this key. no-dedup mints a new id each time.
            key = str(uuid.uuid4()) if VARIANT == "no-dedup" else f"receipt-{oid}"
            await ex.publish(aio_pika.Message(receipt, content_type="application/json", message_id=key,
                                              delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                             routing_key=RECEIPTS)
            ledger.mark(oid)
        if VARIANT in ("auto-ack", "ack-first"):
            return
        if VARIANT == "no-confirm":
            await ack(msg)
            return
        await asyncio.sleep(POST_S)  # bookkeeping before the ack
        await ack(msg)

    tasks = set()
    handled = 0

    async def guarded(msg):
        nonlocal handled
        try:
            await handle(msg)
        except Exception as e:  # a lost connection mid-order: the broker redelivers it
            log("order not finished:", type(e).__name__, e)
        handled += 1
        if CRASH_AFTER and handled >= CRASH_AFTER:
            log(f"crashing after {handled} orders")
            os._exit(3)

    async def on_message(msg):
        t = asyncio.ensure_future(guarded(msg))
        tasks.add(t)
        t.add_done_callback(tasks.discard)

    await orders.consume(on_message, no_ack=VARIANT == "auto-ack")
    log(f"consuming {ORDERS} ({VARIANT})")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
