#!/usr/bin/python3
"""An order API in the shape of the usual FastAPI + aio-pika tutorials.

POST /orders/ takes {"order_id": ..., "amount": ...}, answers 201, and
publishes an OrderPlaced event to the `orders` queue. What happens when the
event bus is down is the VARIANT (docs/services.md, "Test your own API"):

  fire-and-forget  publishes without confirms in a background task and
                   answers 201 at once; a failed publish is only logged, so
                   an outage turns accepted orders into lost events
  confirm          publishes with confirms and answers 201 only after the
                   broker confirmed, 503 when the publish fails or takes
                   longer than PUBLISH_TIMEOUT_MS: nothing accepted is lost,
                   but the API fails while the bus is down
  outbox           writes the order and its event in one sqlite transaction
                   and answers 201; a relay publishes unsent events with
                   confirms and marks them sent. The event's message_id is
                   its outbox id, so an event published again after a lost
                   confirm is recognisably the same event (a consumer dedups
                   it by message_id)

Environment: AMQP_URL (loadgen gives each instance its own fault proxy),
VARIANT, ORDERS (the queue), PUBLISH_TIMEOUT_MS, LOADGEN_RUN_DIR (where
the outbox's sqlite file goes). The port is the first argument
(--port N) or PORT.
"""
import asyncio
import json
import os
import sqlite3
import sys
import uuid

import aio_pika
import uvicorn
from fastapi import FastAPI, Response
from pydantic import BaseModel

ENV = os.environ
VARIANT = ENV.get("VARIANT", "outbox")
ORDERS = ENV.get("ORDERS", "orders")
PUBLISH_TIMEOUT = float(ENV.get("PUBLISH_TIMEOUT_MS", "2000")) / 1000
VARIANTS = ("fire-and-forget", "confirm", "outbox")

app = FastAPI()
state = {}


def log(*a):
    print(f"[{ENV.get('SERVICE_NAME', 'api')}-{ENV.get('SERVICE_INSTANCE', '0')}]", *a, flush=True)


class Order(BaseModel):
    order_id: str
    amount: int = 0


def event_of(order: Order) -> bytes:
    return json.dumps({"type": "OrderPlaced", "order_id": order.order_id, "amount": order.amount}).encode()


async def publish(body: bytes, message_id: str):
    msg = aio_pika.Message(body, message_id=message_id, content_type="application/json",
                           delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
    await state["channel"].default_exchange.publish(msg, routing_key=ORDERS)


async def publish_logged(body: bytes, message_id: str):
    try:
        await publish(body, message_id)
    except Exception as e:  # the tutorial's "best effort": the order was already accepted
        log("publish failed:", repr(e))


def open_outbox():
    path = os.path.join(ENV.get("LOADGEN_RUN_DIR", "/tmp"), f"orders-api-{ENV.get('LOADGEN_RUN_ID', 'x')}.db")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, amount INTEGER)")
    db.execute("CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, body BLOB, sent INTEGER)")
    return db


async def relay():
    """Publishes what the outbox holds, oldest first; a row is marked sent
    only after its confirm, so an outage delays events but never drops them."""
    db = state["db"]
    while True:
        rows = db.execute("SELECT id, body FROM outbox WHERE sent = 0 ORDER BY rowid LIMIT 200").fetchall()
        if not rows:
            await asyncio.sleep(0.02)
            continue
        results = await asyncio.gather(
            *(asyncio.wait_for(publish(body, id_), PUBLISH_TIMEOUT) for id_, body in rows), return_exceptions=True)
        done = [(id_,) for (id_, _), r in zip(rows, results) if not isinstance(r, BaseException)]
        db.execute("BEGIN")
        db.executemany("UPDATE outbox SET sent = 1 WHERE id = ?", done)
        db.execute("COMMIT")
        if len(done) < len(rows):
            log(f"relay: {len(rows) - len(done)} unconfirmed, retrying:",
                repr(next(r for r in results if isinstance(r, BaseException))))
            await asyncio.sleep(0.5)


@app.on_event("startup")
async def startup():
    conn = await aio_pika.connect_robust(ENV["AMQP_URL"], reconnect_interval=1)
    ch = await conn.channel(publisher_confirms=VARIANT != "fire-and-forget")
    await ch.declare_queue(ORDERS, durable=True)
    state.update(conn=conn, channel=ch)
    if VARIANT == "outbox":
        state["db"] = open_outbox()
        state["relay"] = asyncio.create_task(relay())
    log("ready:", VARIANT)


@app.on_event("shutdown")
async def shutdown():
    if "relay" in state:
        state["relay"].cancel()
    await state["conn"].close()


@app.get("/healthz")
async def healthz():
    return {"ok": True}


@app.post("/orders/", status_code=201)
async def place_order(order: Order, response: Response):
    body = event_of(order)
    if VARIANT == "fire-and-forget":
        asyncio.create_task(publish_logged(body, str(uuid.uuid4())))
        return {"order_id": order.order_id}
    if VARIANT == "confirm":
        try:
            await asyncio.wait_for(publish(body, str(uuid.uuid4())), PUBLISH_TIMEOUT)
        except Exception as e:
            log("publish failed, 503:", repr(e))
            response.status_code = 503
            return {"error": "the event bus is unavailable"}
        return {"order_id": order.order_id}
    db = state["db"]  # outbox: the order and its event in one transaction
    try:
        db.execute("BEGIN")
        db.execute("INSERT INTO orders VALUES (?, ?)", (order.order_id, order.amount))
        db.execute("INSERT INTO outbox VALUES (?, ?, 0)", (str(uuid.uuid4()), body))
        db.execute("COMMIT")
    except sqlite3.IntegrityError:  # the same order again: accepted once, one event
        db.execute("ROLLBACK")
    return {"order_id": order.order_id}


def main():
    if VARIANT not in VARIANTS:
        sys.exit(f"VARIANT must be one of {', '.join(VARIANTS)}")
    args = sys.argv[1:]
    port = int(args[1]) if args[:1] == ["--port"] and len(args) > 1 else int(ENV.get("PORT", "8000"))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
