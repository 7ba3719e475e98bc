"""Our encoder against Wireshark's MQTT dissector: packets of every type, written by mqttsim.encode
into a pcap (one TCP segment each, one conversation per protocol version), must come back from
tshark field for field as we meant them, with no malformed packet and no expert warning."""
import json
import shutil
import struct
import subprocess

import pytest

import mqttsim

TSHARK_TIMEOUT_S = 60
PI_WARN = 0x00600000  # expert severities: chat 0x200000, note 0x400000, warn 0x600000, error
TYPES = {"CONNECT": 1, "CONNACK": 2, "PUBLISH": 3, "PUBACK": 4, "PUBREC": 5, "PUBREL": 6,
         "PUBCOMP": 7, "SUBSCRIBE": 8, "SUBACK": 9, "UNSUBSCRIBE": 10, "UNSUBACK": 11,
         "PINGREQ": 12, "PINGRESP": 13, "DISCONNECT": 14, "AUTH": 15}
PROPERTY_IDS = {
    "payload_format_indicator": 0x01, "message_expiry_interval_s": 0x02, "content_type": 0x03,
    "response_topic": 0x08, "correlation_data": 0x09, "subscription_identifiers": 0x0B,
    "session_expiry_interval_s": 0x11, "assigned_client_identifier": 0x12,
    "server_keep_alive_s": 0x13, "authentication_method": 0x15, "authentication_data": 0x16,
    "request_problem_information": 0x17, "will_delay_interval_s": 0x18,
    "request_response_information": 0x19, "response_information": 0x1A,
    "server_reference": 0x1C, "reason_string": 0x1F, "receive_maximum": 0x21,
    "topic_alias_maximum": 0x22, "topic_alias": 0x23, "maximum_qos": 0x24,
    "retain_available": 0x25, "user_properties": 0x26, "maximum_packet_size_bytes": 0x27,
    "wildcard_subscription_available": 0x28, "subscription_identifier_available": 0x29,
    "shared_subscription_available": 0x2A}
BINARY_PROPERTIES = {"correlation_data", "authentication_data"}
C, S = "client", "server"

FLOW_3_1 = [
    (C, {"type": "CONNECT", "version": "3.1", "client_id": "legacy-31", "keep_alive_s": 10,
         "username": "old", "password": "timer"}),
    (S, {"type": "CONNACK", "reason_code": 0}),
    (C, {"type": "PUBLISH", "qos": 1, "packet_id": 77, "topic": "legacy/t", "payload": "v3.1"}),
    (S, {"type": "PUBACK", "packet_id": 77}),
    (C, {"type": "DISCONNECT"}),
]
FLOW_3_1_1 = [
    (C, {"type": "CONNECT", "client_id": "sensor-311", "keep_alive_s": 30,
         "will": {"qos": 1, "retain": True, "topic": "dev/sensor-311/status",
                  "payload": {"hex": "00ff7f"}},
         "username": "alice", "password": "s3cret"}),
    (S, {"type": "CONNACK", "session_present": True, "reason_code": 0}),
    (C, {"type": "SUBSCRIBE", "packet_id": 10, "subscriptions": [
        {"filter": "plant/+/temp", "qos": 1}, {"filter": "alarms/#", "qos": 2},
        {"filter": "$SYS/broker/load", "qos": 0}]}),
    (S, {"type": "SUBACK", "packet_id": 10, "reason_codes": [1, 128, 0]}),
    (C, {"type": "PUBLISH", "qos": 0, "retain": True, "topic": "plant/a/temp", "payload": "21.5"}),
    (C, {"type": "PUBLISH", "qos": 1, "dup": True, "packet_id": 11, "topic": "plant/b/temp",
         "payload": {"hex": bytes(range(256)).hex() * 2}}),
    (S, {"type": "PUBACK", "packet_id": 11}),
    (C, {"type": "PUBLISH", "qos": 2, "packet_id": 65535, "topic": "alarms/hall/1",
         "payload": ""}),
    (S, {"type": "PUBREC", "packet_id": 65535}),
    (C, {"type": "PUBREL", "packet_id": 65535}),
    (S, {"type": "PUBCOMP", "packet_id": 65535}),
    (S, {"type": "PUBLISH", "qos": 1, "packet_id": 1, "topic": "alarms/hall/2",
         "payload": "fire"}),
    (C, {"type": "PUBACK", "packet_id": 1}),
    (C, {"type": "UNSUBSCRIBE", "packet_id": 12, "filters": ["plant/+/temp", "alarms/#"]}),
    (S, {"type": "UNSUBACK", "packet_id": 12}),
    (C, {"type": "PINGREQ"}),
    (S, {"type": "PINGRESP"}),
    (C, {"type": "DISCONNECT"}),
]
USER = [["site", "hall-7"], ["unit", "°C"], ["site", "hall-8"]]
FLOW_5_0 = [
    (C, {"type": "CONNECT", "client_id": "sensor-5", "keep_alive_s": 45, "clean_start": False,
         "will": {"qos": 2, "retain": False, "topic": "dev/sensor-5/status", "payload": "gone",
                  "properties": {"will_delay_interval_s": 10, "message_expiry_interval_s": 300,
                                 "content_type": "text/plain", "user_properties": USER[:1]}},
         "username": "bob", "password": "hunter2",
         "properties": {"session_expiry_interval_s": 3600, "receive_maximum": 20,
                        "maximum_packet_size_bytes": 65536, "topic_alias_maximum": 5,
                        "request_problem_information": True, "user_properties": USER}}),
    (S, {"type": "CONNACK", "session_present": True, "reason_code": 0, "properties": {
        "receive_maximum": 10, "maximum_qos": 1, "retain_available": False,
        "assigned_client_identifier": "auto-1f2e", "server_keep_alive_s": 60,
        "topic_alias_maximum": 8, "wildcard_subscription_available": True,
        "shared_subscription_available": False, "reason_string": "welcome"}}),
    (C, {"type": "SUBSCRIBE", "packet_id": 1, "subscriptions": [
        {"filter": "fleet/+/status", "qos": 1, "no_local": True, "retain_as_published": True,
         "retain_handling": 1},
        {"filter": "$share/g/jobs/#", "qos": 2, "retain_handling": 2}],
        "properties": {"subscription_identifiers": [300], "user_properties": USER[1:2]}}),
    (S, {"type": "SUBACK", "packet_id": 1, "reason_codes": [1, 0x9E],
         "properties": {"reason_string": "no shared subscriptions"}}),
    (C, {"type": "PUBLISH", "qos": 0, "topic": "fleet/7/status", "payload": "ok",
         "properties": {"payload_format_indicator": 1, "topic_alias": 3,
                        "content_type": "text/plain"}}),
    (C, {"type": "PUBLISH", "qos": 1, "packet_id": 2, "topic": "fleet/7/status",
         "payload": {"hex": "c0ffee00"}, "properties": {
             "message_expiry_interval_s": 60, "response_topic": "fleet/7/reply",
             "correlation_data": "req-42", "user_properties": USER}}),
    (S, {"type": "PUBACK", "packet_id": 2, "reason_code": 0x10,
         "properties": {"reason_string": "nobody listening"}}),
    (C, {"type": "PUBLISH", "qos": 2, "retain": True, "packet_id": 3, "topic": "fleet/7/cfg",
         "payload": "{}", "properties": {"correlation_data": {"hex": "00de01ff"}}}),
    (S, {"type": "PUBREC", "packet_id": 3}),
    (C, {"type": "PUBREL", "packet_id": 3, "reason_code": 0x92,
         "properties": {"reason_string": "lost"}}),
    (S, {"type": "PUBCOMP", "packet_id": 3, "reason_code": 0x92}),
    (S, {"type": "PUBLISH", "qos": 1, "packet_id": 9, "topic": "fleet/8/status",
         "payload": "late", "properties": {"subscription_identifiers": [300, 1],
                                           "topic_alias": 2}}),
    (C, {"type": "PUBACK", "packet_id": 9}),
    (C, {"type": "UNSUBSCRIBE", "packet_id": 4, "filters": ["fleet/+/status", "nothing/#"],
         "properties": {"user_properties": USER[:1]}}),
    (S, {"type": "UNSUBACK", "packet_id": 4, "reason_codes": [0x00, 0x11]}),
    (C, {"type": "PINGREQ"}),
    (S, {"type": "PINGRESP"}),
    (C, {"type": "AUTH", "reason_code": 0x19, "properties": {
        "authentication_method": "SCRAM-SHA-1", "authentication_data": "n,,n=bob,r=abc"}}),
    (S, {"type": "AUTH", "reason_code": 0x18, "properties": {
        "authentication_method": "SCRAM-SHA-1", "authentication_data": {"hex": "72003dff"}}}),
    (S, {"type": "DISCONNECT", "reason_code": 0x8E,
         "properties": {"server_reference": "other:1883", "reason_string": "taken over"}}),
    (C, {"type": "DISCONNECT", "reason_code": 0x04,
         "properties": {"session_expiry_interval_s": 0}}),
]
FLOW_REFUSED = [  # (version, flow): connections a broker turns away
    ("3.1.1", [(C, {"type": "CONNECT", "client_id": "bad"}),
               (S, {"type": "CONNACK", "reason_code": 5})]),
    ("5.0", [(C, {"type": "CONNECT", "client_id": "bad"}),
             (S, {"type": "CONNACK", "reason_code": 0x87,
                  "properties": {"reason_string": "not authorized"}})]),
]
CONVERSATIONS = [("3.1", FLOW_3_1), ("3.1.1", FLOW_3_1_1), ("5.0", FLOW_5_0)] + FLOW_REFUSED
CATALOGUE = [(v, sender, p) for v, flow in CONVERSATIONS for sender, p in flow]
IDS = [f"{i:02d}-{v}-{s}-{p['type']}" for i, (v, s, p) in enumerate(CATALOGUE)]


def tcp_segment(client_port, from_client, seq, ack, payload, flags=0x18):
    ports = (client_port, 1883) if from_client else (1883, client_port)
    hosts = (b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02")
    src, dst = hosts if from_client else hosts[::-1]
    tcp = struct.pack("!HHIIBBHHH", *ports, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0, src, dst)
    return ip + tcp + payload


def build_pcap(path):
    """Writes every catalogue packet as one TCP segment after a handshake, per conversation."""
    frames = []
    for n, (version, flow) in enumerate(CONVERSATIONS):
        port, seq = 40000 + n, {True: 1000, False: 5000}
        frames += [tcp_segment(port, True, 999, 0, b"", 0x02),
                   tcp_segment(port, False, 4999, 1000, b"", 0x12),
                   tcp_segment(port, True, 1000, 5000, b"", 0x10)]
        for sender, packet in flow:
            data = mqttsim.encode(packet, version=version, sender=sender)
            mine = sender == C
            frames.append(tcp_segment(port, mine, seq[mine], seq[not mine], data))
            seq[mine] += len(data)
    records = [struct.pack("<IIII", 1 + i, 0, len(f), len(f)) + f for i, f in enumerate(frames)]
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101) + b"".join(records))


def flatten(pairs, out):
    for key, value in pairs:
        is_tree = isinstance(value, list) and value and isinstance(value[0], tuple)
        out.append((key, value))
        if is_tree:
            flatten(value, out)
    return out


@pytest.fixture(scope="module")
def dissected(tmp_path_factory):
    """[(version, sender, packet, encoded bytes, mqtt layer pairs, expert entries)], one per packet."""
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark is not installed (scripts/install-deps.sh installs it)")
    pcap = tmp_path_factory.mktemp("tshark") / "codec.pcap"
    build_pcap(pcap)
    run = subprocess.run([tshark, "-n", "-r", str(pcap), "-T", "json",
                          "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tcp.check_checksum:FALSE",
                          "-d", "tcp.port==1883,mqtt"],
                         capture_output=True, timeout=TSHARK_TIMEOUT_S, check=False)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    frames = json.loads(run.stdout, object_pairs_hook=lambda pairs: pairs)
    layers = []
    for frame in frames:
        flat = flatten(frame, [])
        mqtt = [value for key, value in flat if key == "mqtt"]
        experts = [dict(v) for k, v in flat if k == "_ws.expert" and isinstance(v, list)]
        malformed = [k for k, _ in flat if k == "_ws.malformed"]
        if mqtt or malformed:
            assert len(mqtt) == 1, f"one MQTT packet per segment, tshark saw {len(mqtt)}"
            layers.append((flatten(mqtt[0], []), experts, malformed))
    assert len(layers) == len(CATALOGUE), "tshark found a different number of MQTT packets"
    return [(v, s, p, mqttsim.encode(p, version=v, sender=s), *layer)
            for (v, s, p), layer in zip(CATALOGUE, layers)]


class Layer:
    def __init__(self, flat):
        self.flat = flat

    def all(self, key):
        return [v for k, v in self.flat if k == key]

    def one(self, key, default=None):
        values = self.all(key)
        assert len(values) <= 1, f"{key} appears {len(values)} times"
        return values[0] if values else default

    def properties(self, section):
        """[(id, values...)] of one property section, in wire order."""
        trees = self.all(section)
        if not trees:
            return None
        props = []
        for key, value in flatten(trees[0], []):
            if key == "mqtt.property_id":
                props.append([int(value, 16)])
            elif props and not isinstance(value, list) and not key.startswith("_ws") \
                    and key not in ("mqtt.prop_key_len", "mqtt.prop_value_len"):
                props[-1].append(value)
        return sorted(tuple(p) for p in props)


def expected_properties(props):
    out = []
    for key, value in props.items():
        pid = PROPERTY_IDS[key]
        if key == "user_properties":
            out += [(pid, k, v) for k, v in value]
        elif key == "subscription_identifiers":
            out += [(pid, str(n)) for n in value]
        elif key in BINARY_PROPERTIES:
            data = raw(value)
            # Wireshark shows Binary Data as a string: compare the length, and the text when
            # the bytes are printable (checked separately below: tshark flags the rest).
            text = data.decode() if data.isascii() and data.decode().isprintable() else None
            out.append((pid, str(len(data))) + ((text,) if text is not None else ()))
        elif isinstance(value, bool):
            out.append((pid, "1" if value else "0"))
        else:
            out.append((pid, str(value)))
    return sorted(out)


def dissected_properties(layer, section):
    props = layer.properties(section) or []
    binary_ids = {PROPERTY_IDS[k] for k in BINARY_PROPERTIES}
    out = []
    for prop in props:
        if prop[0] in binary_ids:  # (id, length, text): keep the text only if printable
            text = prop[2] if len(prop) > 2 and prop[2].isprintable() and prop[2].isascii() \
                and len(prop[2]) == int(prop[1]) else None
            out.append((prop[0], prop[1]) + ((text,) if text is not None else ()))
        elif prop[0] != PROPERTY_IDS["user_properties"] and len(prop) == 3:  # (id, length, text)
            assert int(prop[1]) == len(prop[2].encode()), f"string length of property {prop}"
            out.append((prop[0], prop[2]))
        else:
            out.append(prop)
    return sorted(out)


def raw(value):
    return bytes.fromhex(value["hex"]) if isinstance(value, dict) else value.encode()


def tshark_bytes(text):
    return bytes.fromhex((text or "").replace(":", ""))


def flag(value):
    return "1" if value else "0"


def reason(value):
    return str(value["value"] if isinstance(value, dict) else value)


def check_connect(layer, p, version):
    will = p.get("will")
    assert layer.one("mqtt.protoname") == ("MQIsdp" if version == "3.1" else "MQTT")
    assert layer.one("mqtt.ver") == {"3.1": "3", "3.1.1": "4", "5.0": "5"}[version]
    assert layer.one("mqtt.conflag.cleansess") == flag(p.get("clean_start", True))
    assert layer.one("mqtt.conflag.willflag") == flag(will)
    assert layer.one("mqtt.conflag.qos") == str(will["qos"] if will else 0)
    assert layer.one("mqtt.conflag.retain") == flag(will and will["retain"])
    assert layer.one("mqtt.conflag.uname") == flag("username" in p)
    assert layer.one("mqtt.conflag.passwd") == flag("password" in p)
    assert layer.one("mqtt.kalive") == str(p.get("keep_alive_s", 60))
    assert layer.one("mqtt.clientid") == p["client_id"]
    assert layer.one("mqtt.username") == p.get("username")
    assert layer.one("mqtt.passwd") == p.get("password")
    if will:
        assert layer.one("mqtt.willtopic") == will["topic"]
        assert tshark_bytes(layer.one("mqtt.willmsg")) == raw(will["payload"])
        if version == "5.0":
            assert dissected_properties(layer, "mqtt.will_properties") == \
                expected_properties(will.get("properties", {}))


def check_fields(layer, p, version):
    kind, v5 = p["type"], version == "5.0"
    if kind == "CONNECT":
        check_connect(layer, p, version)
    elif kind == "CONNACK":
        # MQTT 3.1 has no Session Present flag: the whole byte is reserved.
        sp = None if version == "3.1" else flag(p.get("session_present"))
        assert layer.one("mqtt.conack.flags.sp") == sp
        code_field = "mqtt.connack.reason_code" if v5 else "mqtt.conack.val"
        assert layer.one(code_field) == reason(p["reason_code"])
    elif kind == "PUBLISH":
        assert layer.one("mqtt.dupflag") == flag(p.get("dup"))
        assert layer.one("mqtt.qos") == str(p["qos"])
        assert layer.one("mqtt.retain") == flag(p.get("retain"))
        assert layer.one("mqtt.topic") == p["topic"]
        assert layer.one("mqtt.msgid") == (str(p["packet_id"]) if p["qos"] else None)
        assert tshark_bytes(layer.one("mqtt.msg")) == raw(p["payload"])
    elif kind in ("SUBSCRIBE", "UNSUBSCRIBE"):
        filters = [s["filter"] for s in p["subscriptions"]] if kind == "SUBSCRIBE" else p["filters"]
        assert layer.all("mqtt.topic") == filters
        subs = p.get("subscriptions", [])
        if kind == "SUBSCRIBE" and not v5:
            assert layer.all("mqtt.sub.qos") == [str(s["qos"]) for s in subs]
        elif kind == "SUBSCRIBE":
            for field, key in (("qos", "qos"), ("nl", "no_local"), ("rap", "retain_as_published"),
                               ("retain", "retain_handling")):
                wanted = [str(int(s.get(key, 0))) for s in subs]
                assert layer.all(f"mqtt.subscription_options_{field}") == wanted, field
    elif kind in ("SUBACK", "UNSUBACK"):
        field = "mqtt.suback.qos" if kind == "SUBACK" and not v5 else f"mqtt.{kind.lower()}.reason_code"
        assert layer.all(field) == [reason(c) for c in p.get("reason_codes", [])]
    elif kind in ("PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "DISCONNECT", "AUTH") and v5:
        # Reason code 0 with no properties may be left out on the wire [MQTT-3.4.2.1].
        assert layer.one(f"mqtt.{kind.lower()}.reason_code", "0") == reason(p.get("reason_code", 0))
    if kind in ("PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE",
                "UNSUBACK"):
        assert layer.one("mqtt.msgid") == str(p["packet_id"])
    if v5 and "properties" in p:
        assert dissected_properties(layer, "mqtt.properties") == expected_properties(p["properties"])


@pytest.mark.parametrize("index", range(len(CATALOGUE)), ids=IDS)
def test_wireshark_dissects_each_encoded_packet_as_we_meant_it(dissected, index):
    version, sender, packet, data, flat, _, _ = dissected[index]
    layer = Layer(flat)
    assert layer.one("mqtt.msgtype") == str(TYPES[packet["type"]])
    assert int(layer.one("mqtt.hdrflags"), 16) == data[0]
    length, shift, i = 0, 0, 1  # our Remaining Length, read back from our own bytes
    while True:
        length |= (data[i] & 0x7F) << shift
        shift, i = shift + 7, i + 1
        if not data[i - 1] & 0x80:
            break
    assert len(data) == i + length
    assert layer.one("mqtt.len") == str(length)
    check_fields(layer, packet, version)


def has_unprintable_binary(packet):
    props = dict(packet.get("properties", {}))
    data = [raw(props[k]) for k in BINARY_PROPERTIES if k in props]
    return any(not (d.isascii() and d.decode().isprintable()) for d in data)


@pytest.mark.parametrize("index", range(len(CATALOGUE)), ids=IDS)
def test_wireshark_finds_nothing_malformed_or_suspicious(dissected, index):
    _, _, packet, data, _, experts, malformed = dissected[index]
    assert not malformed, f"tshark: malformed packet {data.hex()}"
    worrying = [e for e in experts if int(e.get("_ws.expert.severity", "0")) >= PI_WARN]
    if has_unprintable_binary(packet):
        # Wireshark 4.0 dissects Binary Data properties (Correlation Data, Authentication Data,
        # MQTT-5.0 §1.5.6) as UTF-8 strings and warns about NUL/non-text bytes. Their length
        # and what follows still agree (checked above), so this warning, and only this, is
        # Wireshark's, not ours.
        worrying = [e for e in worrying if e.get("_ws.expert.message") != "Trailing stray characters"]
    assert not worrying, f"tshark expert info on {data.hex()}: {worrying}"
