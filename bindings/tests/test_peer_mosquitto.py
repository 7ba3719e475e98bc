"""Our codec against a real broker: mosquitto and its own clients talk through a recording proxy;
every byte stream must decode with our decoder, follow the MQTT flow and re-encode to the same
packets. Then mosquitto must accept, and answer as the spec says, packets our encoder writes."""
import selectors
import shutil
import socket
import subprocess
import threading
import time

import pytest

import mqttsim

CLIENT_TIMEOUT_S = 15
PROXY_LIFETIME_S = 60


def tool(name):
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if path is None:
        pytest.skip(f"{name} is not installed (scripts/install-deps.sh installs it)")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def broker(tmp_path):
    """A private mosquitto on a free loopback port; yields the port, always stopped by pid."""
    exe = tool("mosquitto")
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "log_dest stderr\nlog_type all\n")
    log_path = tmp_path / "mosquitto.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([exe, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            assert proc.poll() is None, f"mosquitto exited: {log_path.read_text()}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "mosquitto did not start listening"
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class RecordingProxy:
    """Forwards each loopback connection to the broker and records both byte streams."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.deadline = time.monotonic() + PROXY_LIFETIME_S
        self.connections = []  # dicts: c2s, s2c (bytearray), done (Event)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            record = {"c2s": bytearray(), "s2c": bytearray(), "done": threading.Event()}
            with self.lock:
                self.connections.append(record)
            thread = threading.Thread(target=self._pump, args=(client, record), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _pump(self, client, record):
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        with selectors.DefaultSelector() as sel, client, upstream:
            sel.register(client, selectors.EVENT_READ, (upstream, "c2s"))
            sel.register(upstream, selectors.EVENT_READ, (client, "s2c"))
            while sel.get_map() and time.monotonic() < self.deadline:
                for key, _ in sel.select(timeout=0.1):
                    peer, direction = key.data
                    try:
                        data = key.fileobj.recv(65536)
                    except OSError:
                        data = b""
                    if data:
                        with self.lock:
                            record[direction] += data
                        peer.sendall(data)
                        continue
                    sel.unregister(key.fileobj)
                    try:
                        peer.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
        record["done"].set()

    def streams(self, client_id):
        """The (c2s, s2c) bytes of the finished connection whose CONNECT names client_id."""
        for record in list(self.connections):
            assert record["done"].wait(CLIENT_TIMEOUT_S), "a proxied connection never closed"
            first = mqttsim.decode(bytes(record["c2s"]))["packets"][:1]  # CONNECT names its version
            if first and first[0].get("client_id") == client_id:
                return bytes(record["c2s"]), bytes(record["s2c"])
        raise AssertionError(f"no connection from {client_id}")

    def wait_for(self, client_id, packet_type, version):
        """Waits until the broker has sent packet_type to client_id (e.g. SUBACK)."""
        deadline = time.monotonic() + CLIENT_TIMEOUT_S
        while time.monotonic() < deadline:
            with self.lock:
                records = [(bytes(r["c2s"]), bytes(r["s2c"])) for r in self.connections]
            for c2s, s2c in records:
                if c2s and client_id.encode() in c2s[:64]:
                    sent = mqttsim.decode(s2c, version=version, sender="server")["packets"]
                    if any(p["type"] == packet_type for p in sent):
                        return
            time.sleep(0.02)
        raise AssertionError(f"{client_id} never received {packet_type}")

    def close(self):
        self.stopping.set()
        self.deadline = 0
        for thread in self.threads:
            thread.join(timeout=5)
        self.listener.close()


@pytest.fixture
def proxy(broker):
    recorder = RecordingProxy(broker)
    yield recorder
    recorder.close()


def run_client(*args):
    done = subprocess.run(args, capture_output=True, timeout=CLIENT_TIMEOUT_S, check=False)
    assert done.returncode == 0, f"{args}: {done.stderr.decode(errors='replace')}"
    return done.stdout.decode()


def decode_all(data, version, sender):
    """Every byte of a recorded stream decodes; each packet re-encodes to an equal packet."""
    result = mqttsim.decode(data, version=version, sender=sender)
    assert result["error"] is None, f"{sender} bytes {data.hex()} rejected: {result['error']}"
    again = b""
    for packet in result["packets"]:
        encoded = mqttsim.encode(packet, version=version, sender=sender)
        assert mqttsim.decode(encoded, version=version, sender=sender) == \
            {"packets": [packet], "error": None}, packet
        again += encoded
    if version != "5.0":
        assert again == data  # one canonical encoding: our bytes are mosquitto's bytes
    else:  # properties may come in another order, never with another size
        assert len(again) == len(data)
    return result["packets"]


def types(packets):
    return [p["type"] for p in packets]


def check_publisher(proxy, client_id, version, qos, topic, payload, retain=False):
    """The publisher's whole conversation, as the spec prescribes for its QoS."""
    c2s, s2c = proxy.streams(client_id)
    sent, got = decode_all(c2s, version, "client"), decode_all(s2c, version, "server")
    assert types(sent) == ["CONNECT", "PUBLISH"] + ["PUBREL"] * (qos == 2) + ["DISCONNECT"]
    assert types(got) == ["CONNACK"] + {0: [], 1: ["PUBACK"], 2: ["PUBREC", "PUBCOMP"]}[qos]
    connect, publish = sent[0], sent[1]
    assert (connect["version"], connect["client_id"]) == (version, client_id)
    assert got[0]["reason_code"]["value"] == 0
    assert (publish["topic"], publish["payload"], publish["qos"], publish["retain"]) == \
        (topic, payload, qos, retain)
    for ack in got[1:] + sent[2:-1]:
        assert ack["packet_id"] == publish["packet_id"]
        assert ack.get("reason_code", {"value": 0})["value"] == 0
    return connect, publish


def check_subscriber_acks(sent, got):
    """Each QoS 1/2 delivery is acknowledged with its packet id, in the right order."""
    for delivery in (p for p in got if p["type"] == "PUBLISH" and p["qos"]):
        pid = delivery["packet_id"]
        acks = [p["type"] for p in sent if p.get("packet_id") == pid and p["type"] != "SUBSCRIBE"
                and p["type"] != "UNSUBSCRIBE"]
        assert acks == (["PUBACK"] if delivery["qos"] == 1 else ["PUBREC", "PUBCOMP"]), pid
        if delivery["qos"] == 2:
            assert [p["type"] for p in got if p.get("packet_id") == pid][-1] == "PUBREL"


def test_mosquitto_3_x_traffic_decodes_follows_the_flow_and_round_trips(proxy):
    host = ["-h", "127.0.0.1", "-p", str(proxy.port)]
    pub, sub = tool("mosquitto_pub"), tool("mosquitto_sub")
    run_client(pub, *host, "-V", "mqttv311", "-i", "pub-retained", "-q", "1", "-r",
               "-t", "plant/r/temp", "-m", "r-19.0")
    subscriber = subprocess.Popen(
        [sub, *host, "-V", "mqttv311", "-i", "sub-311", "-q", "2", "-t", "plant/+/temp",
         "-t", "alarms/#", "-C", "4", "-W", "10", "-v"], stdout=subprocess.PIPE)
    try:
        proxy.wait_for("sub-311", "SUBACK", "3.1.1")
        run_client(pub, *host, "-V", "mqttv311", "-i", "pub-q0", "-q", "0",
                   "-t", "plant/a/temp", "-m", "zero")
        run_client(pub, *host, "-V", "mqttv31", "-i", "pub-q1", "-q", "1",
                   "-t", "alarms/hall/1", "-m", "one")
        run_client(pub, *host, "-V", "mqttv311", "-i", "pub-q2", "-q", "2",
                   "-t", "plant/b/temp", "-m", "two", "-u", "alice", "-P", "s3cret",
                   "--will-topic", "dev/pub-q2", "--will-payload", "gone", "--will-qos", "1")
        out, _ = subscriber.communicate(timeout=CLIENT_TIMEOUT_S)
    finally:
        subscriber.kill()
        subscriber.wait(timeout=5)
    assert subscriber.returncode == 0 and len(out.splitlines()) == 4, out

    check_publisher(proxy, "pub-retained", "3.1.1", 1, "plant/r/temp", "r-19.0", retain=True)
    check_publisher(proxy, "pub-q0", "3.1.1", 0, "plant/a/temp", "zero")
    check_publisher(proxy, "pub-q1", "3.1", 1, "alarms/hall/1", "one")
    connect, _ = check_publisher(proxy, "pub-q2", "3.1.1", 2, "plant/b/temp", "two")
    assert (connect["username"], connect["password"]) == ("alice", "s3cret")
    assert connect["will"] == {"qos": 1, "retain": False, "topic": "dev/pub-q2", "payload": "gone"}

    c2s, s2c = proxy.streams("sub-311")
    sent, got = decode_all(c2s, "3.1.1", "client"), decode_all(s2c, "3.1.1", "server")
    assert types(sent)[:2] == ["CONNECT", "SUBSCRIBE"] and types(sent)[-1] == "DISCONNECT"
    assert sent[1]["subscriptions"] == [{"filter": "plant/+/temp", "qos": 2},
                                        {"filter": "alarms/#", "qos": 2}]
    assert types(got)[:2] == ["CONNACK", "SUBACK"]
    assert got[1]["packet_id"] == sent[1]["packet_id"]
    assert [c["value"] for c in got[1]["reason_codes"]] == [2, 2]
    deliveries = {p["topic"]: p for p in got if p["type"] == "PUBLISH"}
    # Delivered QoS is min(published, granted); only the stored retained message keeps RETAIN.
    assert {t: (p["payload"], p["qos"], p["retain"]) for t, p in deliveries.items()} == {
        "plant/r/temp": ("r-19.0", 1, True), "plant/a/temp": ("zero", 0, False),
        "alarms/hall/1": ("one", 1, False), "plant/b/temp": ("two", 2, False)}
    check_subscriber_acks(sent, got)


def test_mosquitto_5_traffic_with_properties_decodes_and_round_trips(proxy):
    host = ["-h", "127.0.0.1", "-p", str(proxy.port), "-V", "mqttv5"]
    pub, sub = tool("mosquitto_pub"), tool("mosquitto_sub")
    subscriber = subprocess.Popen(
        [sub, *host, "-i", "sub-5", "-q", "1", "-t", "fleet/+/status", "-U", "old/#",
         "-D", "subscribe", "subscription-identifier", "7", "-C", "2", "-W", "10", "-v"],
        stdout=subprocess.PIPE)
    try:
        proxy.wait_for("sub-5", "UNSUBACK", "5.0")
        run_client(pub, *host, "-i", "pub-5", "-q", "2", "-t", "fleet/7/status", "-m", "hot",
                   "-D", "publish", "user-property", "site", "hall-7",
                   "-D", "publish", "user-property", "unit", "C",
                   "-D", "publish", "message-expiry-interval", "60",
                   "-D", "publish", "content-type", "text/plain",
                   "-D", "connect", "session-expiry-interval", "30",
                   "--will-topic", "dev/pub-5", "--will-payload", "bye",
                   "-u", "bob", "-P", "hunter2")
        run_client(pub, *host, "-i", "pub-5b", "-q", "1", "-t", "fleet/8/status", "-m", "ok",
                   "-D", "publish", "response-topic", "fleet/8/reply",
                   "-D", "publish", "correlation-data", "req-42",
                   "-D", "publish", "payload-format-indicator", "1")
        out, _ = subscriber.communicate(timeout=CLIENT_TIMEOUT_S)
    finally:
        subscriber.kill()
        subscriber.wait(timeout=5)
    assert subscriber.returncode == 0 and len(out.splitlines()) == 2, out

    connect, publish = check_publisher(proxy, "pub-5", "5.0", 2, "fleet/7/status", "hot")
    assert connect["properties"]["session_expiry_interval_s"] == 30
    assert (connect["username"], connect["password"]) == ("bob", "hunter2")
    assert connect["will"] == {"qos": 0, "retain": False, "topic": "dev/pub-5", "payload": "bye",
                               "properties": {}}
    sent_props = {"message_expiry_interval_s": 60, "content_type": "text/plain",
                  "user_properties": [["site", "hall-7"], ["unit", "C"]]}
    assert publish["properties"] == sent_props
    _, publish_b = check_publisher(proxy, "pub-5b", "5.0", 1, "fleet/8/status", "ok")
    sent_props_b = {"payload_format_indicator": 1, "response_topic": "fleet/8/reply",
                    "correlation_data": "req-42"}
    assert publish_b["properties"] == sent_props_b

    c2s, s2c = proxy.streams("sub-5")
    sent, got = decode_all(c2s, "5.0", "client"), decode_all(s2c, "5.0", "server")
    assert types(sent)[:3] == ["CONNECT", "SUBSCRIBE", "UNSUBSCRIBE"]
    assert types(sent)[-1] == "DISCONNECT" and sent[-1]["reason_code"]["value"] == 0
    assert sent[1]["properties"] == {"subscription_identifiers": [7]}
    assert sent[1]["subscriptions"] == [{"filter": "fleet/+/status", "qos": 1, "no_local": False,
                                         "retain_as_published": False, "retain_handling": 0}]
    assert sent[2]["filters"] == ["old/#"]
    assert types(got)[:3] == ["CONNACK", "SUBACK", "UNSUBACK"]
    assert got[0]["reason_code"]["value"] == 0
    assert [c["value"] for c in got[1]["reason_codes"]] == [1]  # Granted QoS 1
    assert [c["value"] for c in got[2]["reason_codes"]] == [0x11]  # No subscription existed
    hot, ok = [p for p in got if p["type"] == "PUBLISH"]
    assert (hot["topic"], hot["payload"], hot["qos"]) == ("fleet/7/status", "hot", 1)
    expiry = hot["properties"].pop("message_expiry_interval_s")
    assert 55 <= expiry <= 60  # the broker forwards what is left of the interval
    assert hot["properties"] == {"content_type": "text/plain", "subscription_identifiers": [7],
                                 "user_properties": [["site", "hall-7"], ["unit", "C"]]}
    assert ok["properties"] == dict(sent_props_b, subscription_identifiers=[7])
    check_subscriber_acks(sent, got)


class RawClient:
    """A bare socket speaking only what mqttsim.encode writes and mqttsim.decode reads."""

    def __init__(self, port, version):
        self.version = version
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S)
        self.buffer = b""
        self.seen = 0

    def send(self, packet):
        self.sock.sendall(mqttsim.encode(packet, version=self.version, sender="client"))

    def expect(self, count):
        """The next `count` packets the broker sends, decoded by us."""
        deadline = time.monotonic() + CLIENT_TIMEOUT_S
        while True:
            result = mqttsim.decode(self.buffer, version=self.version, sender="server")
            if len(result["packets"]) >= self.seen + count:
                assert result["error"] is None or "incomplete" in result["error"]["reason"]
                fresh = result["packets"][self.seen:self.seen + count]
                self.seen += count
                return fresh
            assert result["error"] is None or "incomplete" in result["error"]["reason"], \
                f"broker bytes {self.buffer.hex()} rejected: {result['error']}"
            assert time.monotonic() < deadline, f"broker sent only {result['packets']}"
            data = self.sock.recv(65536)
            assert data, f"broker closed the connection after {result['packets']}"
            self.buffer += data

    def expect_close(self):
        self.sock.settimeout(5)
        assert self.sock.recv(65536) == b"", "broker kept talking after DISCONNECT"
        self.sock.close()


@pytest.mark.parametrize("version", ["3.1.1", "5.0"])
def test_mosquitto_accepts_packets_our_encoder_writes(broker, version):
    v5 = version == "5.0"
    props = (lambda **kw: {"properties": kw} if v5 else {})
    user = [["origin", "mqttsim"], ["run", "1"]]
    client = RawClient(broker, version)
    client.send({"type": "CONNECT", "client_id": f"raw-{version}", "keep_alive_s": 30,
                 "will": {"qos": 1, "topic": "raw/will", "payload": "lost"},
                 "username": "raw", "password": {"hex": "00ff"},
                 **props(session_expiry_interval_s=0, receive_maximum=10, user_properties=user)})
    (connack,) = client.expect(1)
    assert (connack["type"], connack["reason_code"]["value"]) == ("CONNACK", 0)

    client.send({"type": "SUBSCRIBE", "packet_id": 1, "subscriptions": [
        {"filter": "raw/+/x", "qos": 1}, {"filter": "other/#", "qos": 2}],
        **props(subscription_identifiers=[5])})
    (suback,) = client.expect(1)
    assert (suback["type"], suback["packet_id"]) == ("SUBACK", 1)
    assert [c["value"] for c in suback["reason_codes"]] == [1, 2]

    client.send({"type": "PUBLISH", "qos": 1, "packet_id": 7, "topic": "raw/a/x",
                 "payload": {"hex": "00c0ffee"},
                 **props(content_type="application/octet-stream", user_properties=user)})
    answers = {p["type"]: p for p in client.expect(2)}  # our own PUBACK and our echo
    assert answers["PUBACK"]["packet_id"] == 7
    assert answers["PUBACK"].get("reason_code", {"value": 0})["value"] == 0
    echo = answers["PUBLISH"]
    assert (echo["topic"], echo["payload"], echo["qos"]) == ("raw/a/x", {"hex": "00c0ffee"}, 1)
    if v5:
        assert echo["properties"] == {"content_type": "application/octet-stream",
                                      "subscription_identifiers": [5], "user_properties": user}
    client.send({"type": "PUBACK", "packet_id": echo["packet_id"]})

    client.send({"type": "PUBLISH", "qos": 2, "packet_id": 8, "topic": "nobody/listens",
                 "payload": "q2"})
    (pubrec,) = client.expect(1)
    assert (pubrec["type"], pubrec["packet_id"]) == ("PUBREC", 8)
    client.send({"type": "PUBREL", "packet_id": 8})
    (pubcomp,) = client.expect(1)
    assert (pubcomp["type"], pubcomp["packet_id"]) == ("PUBCOMP", 8)

    client.send({"type": "PINGREQ"})
    assert [p["type"] for p in client.expect(1)] == ["PINGRESP"]
    client.send({"type": "UNSUBSCRIBE", "packet_id": 9, "filters": ["other/#"], **props()})
    (unsuback,) = client.expect(1)
    assert (unsuback["type"], unsuback["packet_id"]) == ("UNSUBACK", 9)
    if v5:
        assert [c["value"] for c in unsuback["reason_codes"]] == [0]
    client.send({"type": "DISCONNECT", **({"reason_code": 0} if v5 else {})})
    client.expect_close()
