#!/usr/bin/python3
"""Publishes one body of each kind the consumer must count as `unexpected`
(docs/message-format.md): foreign, truncated, bad version, bad checksum and
a valid message of another run. Used by scenario `exec` steps in the tests.

usage: inject.py AMQP_URI QUEUE
"""
import struct
import sys
import zlib

import pika


def header(producer, seq, attempt, payload_len, run_id, version=1):
    # offsets 0..43 of the 48-byte header; the crc32 goes at 44
    return (b"LG" + bytes([version, 0]) + struct.pack("<IQII", producer, seq, attempt, payload_len)
            + struct.pack("<QQI", 1, 2, run_id))


def message(producer, seq, payload, run_id, version=1, good_crc=True):
    h = header(producer, seq, 1, len(payload), run_id, version)
    crc = zlib.crc32(payload, zlib.crc32(h))
    if not good_crc:
        crc ^= 1
    return h + struct.pack("<I", crc) + payload


def bodies():
    payload = bytes(range(32))
    return {
        "foreign": b"not a loadgen message",
        "truncated": message(0, 1, payload, 7)[:-5],  # says 32 payload bytes, has 27
        "bad_version": message(0, 1, payload, 7, version=9),
        "bad_checksum": message(0, 1, payload, 7, good_crc=False),
        "stale_run": message(0, 1, payload, 7),  # run id 7: not this run's (1 in 2^32)
    }


def main():
    uri, queue = sys.argv[1], sys.argv[2]
    conn = pika.BlockingConnection(pika.URLParameters(uri + "?connection_attempts=3&socket_timeout=5"))
    ch = conn.channel()
    ch.confirm_delivery()
    for body in bodies().values():
        ch.basic_publish("", queue, body, mandatory=True)
    conn.close()


if __name__ == "__main__":
    main()
