"""The final read (issue 27): after the drain, fresh connections read every
queue to empty, so what the run's consumers did not take is found, not
lost; a queue that cannot be read to empty makes `lost` unknown, never a
loss. Each safe shape has an unsafe twin the checker must catch."""
import threading

import pika

from conftest import amqp_params, queue_count, run_loadgen, run_scenario as scenario


def declare(uri, queue, delete=False):
    conn = pika.BlockingConnection(amqp_params(uri))
    try:
        ch = conn.channel()
        if delete:
            ch.queue_delete(queue=queue)
        else:
            ch.queue_declare(queue=queue, durable=True)
    finally:
        conn.close()


def final_queue(j, name):
    return next(q for q in j["final_read"]["queues"] if q["queue"] == name)


PARKING = """
name: parking-lot
topology:
  queue: fr-work-{tag}
  durable: true
  args: {{x-dead-letter-exchange: "", x-dead-letter-routing-key: fr-parking-{tag}}}
load: {{rate: 500, duration: 4s, persistent: true, confirm: 128, fail_rate: 0.15, fail_action: reject}}
expect: {{lost: 0}}
"""


def test_a_parking_lot_dlq_nobody_consumes_is_dead_lettered_not_lost(broker, tmp_path):
    """Handlers reject 15% into a durable DLQ declared outside loadgen. Once
    419 of them were `lost` (FAIL); now they are read there, left in place,
    and counted dead_lettered."""
    declare(broker.uri, "fr-parking-a", delete=True)
    declare(broker.uri, "fr-parking-a")
    j, r = scenario(tmp_path, PARKING.format(tag="a"), "--uri", broker.uri, expect=0)
    t, q = j["totals"], final_queue(j, "fr-parking-a")
    assert t["handler_failures"] > 100 and t["lost"] == 0
    assert q["declared_by_loadgen"] is False and q["left_in_place"] is True and q["complete"] is True
    assert q["read"] == t["dead_lettered"] == t["handler_failures"]
    assert q["dead_letter_reasons"] == {"rejected": q["read"]}
    assert t["unique"] == t["confirmed"] and t["gaps"] == 0
    assert queue_count(broker.uri, "fr-parking-a") == q["read"]  # a person can still inspect them
    declare(broker.uri, "fr-parking-a", delete=True)


def test_a_dead_letter_target_that_does_not_exist_is_a_loss(broker, tmp_path):
    """The same file with the DLQ missing: RabbitMQ drops every rejected
    message. That is a real loss, and the verdict names the path."""
    declare(broker.uri, "fr-parking-b", delete=True)
    j, r = scenario(tmp_path, PARKING.format(tag="b"), "--uri", broker.uri, expect=1)
    t, q = j["totals"], final_queue(j, "fr-parking-b")
    assert q["exists"] is False and "does not exist" in q["why"]
    assert t["lost"] == t["handler_failures"] > 100
    assert any("dead-letter target 'fr-parking-b' does not exist" in x for x in j["verdict"]["reasons"])


IDLE = """
name: idle-queue
topology:
  exchanges: [{{name: fr-fan-{tag}, type: fanout}}]
  queues:
    - {{name: fr-busy-{tag}, consumers: 1}}
    - {{name: fr-idle-{tag}, consumers: 0{args}}}
  bindings:
    - {{source: fr-fan-{tag}, destination: fr-busy-{tag}}}
    - {{source: fr-fan-{tag}, destination: fr-idle-{tag}}}
  publish: {{exchange: fr-fan-{tag}, routes: [{{routing_key: x}}]}}
load: {{rate: 400, messages: 1200, persistent: true, confirm: 64}}
expect: {{lost: 0}}
"""


def test_a_queue_without_consumers_is_read_at_the_end(broker, tmp_path):
    """A fan-out copy into a queue nobody consumes was refused ("what stays
    in it could never be checked"); now the final read checks it."""
    j, r = scenario(tmp_path, IDLE.format(tag="c", args=""), "--uri", broker.uri, expect=0)
    assert final_queue(j, "fr-idle-c")["read"] == 1200 == j["totals"]["found_at_end"]
    assert j["totals"]["lost"] == 0 and j["totals"]["misrouted"] == 0


def test_a_queue_without_consumers_that_drops_is_caught(broker, tmp_path):
    """Its unsafe twin: the idle queue holds at most 100 (x-max-length, no
    dead-letter exchange), so the broker drops 1,100 confirmed copies."""
    j, r = scenario(tmp_path, IDLE.format(tag="d", args=", arguments: {x-max-length: 100}"), "--uri", broker.uri,
                    expect=1)
    assert final_queue(j, "fr-idle-d")["read"] == 100
    assert j["totals"]["lost"] == 1100


def test_a_queue_that_cannot_be_read_leaves_lost_unknown(broker, tmp_path):
    """Someone else holds an exclusive consumer on the DLQ: the final read is
    refused there. The rejected messages may well be in it, so `lost` is
    unknown (null, with its bound) and the verdict INCOMPLETE, naming the
    queue; never FAIL, never PASS."""
    declare(broker.uri, "fr-parking-e", delete=True)
    declare(broker.uri, "fr-parking-e")
    conn = pika.BlockingConnection(amqp_params(broker.uri))
    ch = conn.channel()
    ch.basic_qos(prefetch_count=1)
    ch.basic_consume("fr-parking-e", lambda *a: None, exclusive=True)
    stop = threading.Event()

    def pump():  # keep the holder's connection alive (heartbeats) while loadgen runs
        while not stop.is_set():
            conn.process_data_events(time_limit=0.2)

    th = threading.Thread(target=pump)
    th.start()
    try:
        j, r = scenario(tmp_path, PARKING.format(tag="e"), "--uri", broker.uri, expect=4)
    finally:
        stop.set()
        th.join()
        conn.close()
    t, q = j["totals"], final_queue(j, "fr-parking-e")
    assert q["complete"] is False and "exclusive" in q["why"].lower()
    assert t["lost"] is None and t["lost_at_most"] > 0 and j["final_read"]["complete"] is False
    g = next(g for g in j["verdict"]["gates"] if g["gate"] == "lost")
    assert g["status"] == "unknown" and "fr-parking-e" in g["reason"]
    assert j["verdict"]["status"] == "incomplete"
    declare(broker.uri, "fr-parking-e", delete=True)


def test_one_queue_lists_publish_to_it_by_default(tmp_path):
    """A topology list with one queue and no `publish:` was refused ("at
    least one route"): the obvious default is that queue through the
    default exchange."""
    f = tmp_path / "one.yaml"
    f.write_text("name: one\ntopology:\n  queues: [{name: only, consumers: 1}]\n")
    r = run_loadgen("run", "--check", f)
    assert r.returncode == 0, r.stderr
