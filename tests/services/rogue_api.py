#!/usr/bin/python3
"""An API that gets every event gate wrong, on purpose (tests/test_http.py):
every 10th order is published twice under two message ids (duplicate_events),
each 50th also publishes an event of another run (unexpected_events), every
5th event goes out 2 s late (event_p99), every 4th answer takes 300 ms
(http_p99), and every 8th order is refused with 503 (http_errors)."""
import asyncio
import json
import os
import sys
import uuid

import aio_pika
import uvicorn
from fastapi import FastAPI, Response
from pydantic import BaseModel

app = FastAPI()
state = {}


class Order(BaseModel):
    order_id: str
    amount: int = 0


async def publish(order_id, delay=0):
    await asyncio.sleep(delay)
    body = json.dumps({"order_id": order_id}).encode()
    await state["ch"].default_exchange.publish(aio_pika.Message(body, message_id=str(uuid.uuid4())),
                                               routing_key="orders")


@app.on_event("startup")
async def startup():
    conn = await aio_pika.connect_robust(os.environ["AMQP_URL"])
    state["ch"] = await conn.channel()
    await state["ch"].declare_queue("orders", durable=True)


@app.get("/healthz")
async def healthz():
    return {}


@app.post("/orders/", status_code=201)
async def order(o: Order, response: Response):
    n = o.amount
    if n % 8 == 0:
        response.status_code = 503
        return {}
    if n % 4 == 0:
        await asyncio.sleep(0.3)
    if n % 10 == 5:  # its only event, 2 s late
        asyncio.create_task(publish(o.order_id, 2.0))
        return {}
    await publish(o.order_id)
    if n % 10 == 0:
        await publish(o.order_id)
    if n % 50 == 0:
        await publish("0badf00d-0-%d" % n)
    return {}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
