#!/usr/bin/python3
"""Regenerates the seed corpora of the MQTT fuzz harnesses from packets encoded by mqttsim
itself (every type, both directions, all versions) plus the malformed classes and CVE
triggers of shared/reference/malformed-packets.md as literal bytes.

Usage: PYTHONPATH=build/release/bindings protocol/fuzz/make_corpus.py
"""
import hashlib
import pathlib

import mqttsim

HERE = pathlib.Path(__file__).parent
VERSIONS = {"3.1": 0, "3.1.1": 1, "5.0": 2}

CLIENT = [
    {"type": "CONNECT", "client_id": "TempSensor-0042", "keep_alive_s": 60, "username": "device",
     "password": "tok", "will": {"topic": "devices/TempSensor-0042/status", "payload": "offline",
                                 "qos": 1, "retain": True}},
    {"type": "PUBLISH", "qos": 1, "packet_id": 7, "topic": "plant/line-07/sensor/temp",
     "payload": '{"temperature_c": 21.5}'},
    {"type": "PUBLISH", "qos": 2, "dup": True, "packet_id": 9, "retain": True, "topic": "Zürich/Florastrasse",
     "payload": {"hex": "00ff10"}},
    {"type": "PUBLISH", "topic": "chat/room-1", "payload": "hi"},
    {"type": "PUBACK", "packet_id": 7}, {"type": "PUBREC", "packet_id": 9},
    {"type": "PUBREL", "packet_id": 9}, {"type": "PUBCOMP", "packet_id": 9},
    {"type": "SUBSCRIBE", "packet_id": 1, "subscriptions": [{"filter": "Zürich/#", "qos": 2},
                                                           {"filter": "+/sensor/+", "qos": 0}]},
    {"type": "UNSUBSCRIBE", "packet_id": 2, "filters": ["Zürich/#"]},
    {"type": "PINGREQ"}, {"type": "DISCONNECT"},
]
SERVER = [
    {"type": "CONNACK", "session_present": False},
    {"type": "PUBLISH", "qos": 1, "packet_id": 3, "topic": "sensors/a", "payload": "21.5"},
    {"type": "PUBACK", "packet_id": 3},
    {"type": "SUBACK", "packet_id": 1, "reason_codes": [2, 0]},
    {"type": "UNSUBACK", "packet_id": 2}, {"type": "PINGRESP"},
]
V5_EXTRA = [
    ("client", {"type": "CONNECT", "version": "5.0", "client_id": "", "properties": {
        "session_expiry_interval_s": 3600, "receive_maximum": 20, "maximum_packet_size_bytes": 65536,
        "topic_alias_maximum": 10, "user_properties": [["site", "zurich"]]},
        "will": {"topic": "w", "payload": "gone", "properties": {"will_delay_interval_s": 5,
                                                                   "content_type": "text/plain"}}}),
    ("client", {"type": "PUBLISH", "qos": 1, "packet_id": 5, "topic": "", "payload": "x",
                "properties": {"topic_alias": 3, "message_expiry_interval_s": 60,
                               "response_topic": "reply/a", "correlation_data": {"hex": "0102"}}}),
    ("client", {"type": "SUBSCRIBE", "packet_id": 4, "properties": {"subscription_identifiers": [42]},
                "subscriptions": [{"filter": "$share/g/a/+", "qos": 1, "retain_handling": 2}]}),
    ("client", {"type": "AUTH", "reason_code": 24, "properties": {"authentication_method": "SCRAM"}}),
    ("client", {"type": "DISCONNECT", "reason_code": 4}),
    ("server", {"type": "CONNACK", "reason_code": 0, "properties": {
        "assigned_client_identifier": "auto-1", "server_keep_alive_s": 30, "maximum_qos": 1,
        "retain_available": False, "shared_subscription_available": True}}),
    ("server", {"type": "PUBLISH", "qos": 0, "topic": "a/b", "payload": "y",
                "properties": {"subscription_identifiers": [1, 42]}}),
    ("server", {"type": "DISCONNECT", "reason_code": 142, "properties": {"reason_string": "taken over"}}),
    ("server", {"type": "PUBACK", "packet_id": 5, "reason_code": 16}),
]
# Malformed classes and CVE triggers (client to server), as raw bytes.
MALFORMED = [
    "30ffffffff7f", "c08000", "30ffffff7f", "82040001", "3605000161 0001", "3804000161",
    "00 00", "f000", "2002 0000", "e001 00", "3205 0001 61 0000", "3003 0000 61",
    "3005 0003 612b62", "3005 0003 61c080", "320700 03 61eda080 0001", "e00520ff",
    "8208 0001 0003 612f23 03", "8207 0001 0002 612b 30", "62 02 0001",
    "10 0c 0004 4d515454 04 01 003c 0000", "10 0c 0004 4d515454 04 1c 003c 0000",
    "10 0c 0004 4d515454 04 40 003c 0000", "10 0c 0004 4d515451 04 02 003c 0000",
    "e0 02 00 20", "a2 02 0001",
]


def write(directory, data):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def main():
    decoder_dir, stream_dir = HERE / "corpus" / "mqtt_decoder", HERE / "corpus" / "mqtt_stream"
    for version, index in VERSIONS.items():
        for sender, packets in (("client", CLIENT), ("server", SERVER)):
            stream = b""
            for packet in packets:
                p = dict(packet)
                if p["type"] == "CONNECT":
                    p["version"] = version
                if p["type"] == "UNSUBACK" and version == "5.0":
                    p["reason_codes"] = [0]
                data = mqttsim.encode(p, version=version, sender=sender)
                selector = bytes([index | (0x80 if sender == "server" else 0)])
                write(decoder_dir, selector + data)
                stream += data
            write(decoder_dir, bytes([index | (0x80 if sender == "server" else 0)]) + stream)
            if version == "5.0" and sender == "server":
                write(stream_dir, b"\x07" + stream)
    for sender, packet in V5_EXTRA:
        data = mqttsim.encode(packet, version="5.0", sender=sender)
        write(decoder_dir, bytes([2 | (0x80 if sender == "server" else 0)]) + data)
        write(stream_dir, b"\x05" + data + data)
    for text in MALFORMED:
        raw = bytes.fromhex(text.replace(" ", ""))
        for index in VERSIONS.values():
            write(decoder_dir, bytes([index]) + raw)
        write(stream_dir, b"\x03" + raw)


if __name__ == "__main__":
    main()
