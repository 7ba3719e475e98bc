"""`mqttsim broker` on real sockets, driven by real clients (mosquitto_pub/mosquitto_sub) and
raw sockets: QoS 0/1/2, retained messages, 5.0 properties, many connections, a misbehaving
peer, a clean stop on SIGTERM, and config errors. MQTTSIM_BIN names the binary under test."""
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

BIN = os.environ.get("MQTTSIM_BIN", "build/release/cli/mqttsim")
CLIENTS = shutil.which("mosquitto_pub") and shutil.which("mosquitto_sub")


@pytest.fixture
def broker(tmp_path):
    proc = subprocess.Popen([BIN, "broker", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert "listening on 127.0.0.1:" in line, line + proc.stderr.read()
    port = int(line.rsplit(":", 1)[1])
    yield proc, port
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def sub(port, *args, count=1, version="mqttv311"):
    return subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-V", version,
                             "-C", str(count), "-W", "10", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def pub(port, *args, version="mqttv311"):
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-V", version, *args],
                   check=True, timeout=10)


def wait_subscribed():
    time.sleep(0.3)  # mosquitto_sub has no "subscribed" signal; its SUBACK arrives within this


def connect_bytes(client_id, version=4):
    body = b"\x00\x04MQTT" + bytes([version, 0x02, 0x00, 0x3C])
    if version == 5:
        body += b"\x00"
    body += len(client_id).to_bytes(2, "big") + client_id
    return bytes([0x10, len(body)]) + body


@pytest.mark.skipif(not CLIENTS, reason="mosquitto-clients is not installed")
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_mosquitto_clients_exchange_messages_at_each_qos(broker, qos):
    _, port = broker
    s = sub(port, "-t", "Zürich/#", "-q", "2", "-F", "%q %t %p", count=2)
    wait_subscribed()
    pub(port, "-t", "Zürich/Florastrasse", "-m", "21.5", "-q", str(qos))
    pub(port, "-t", "Zürich/Hornbachstrasse/50", "-m", "19.0", "-q", str(qos))
    out, err = s.communicate(timeout=15)
    assert s.returncode == 0, err
    assert out.splitlines() == [f"{qos} Zürich/Florastrasse 21.5",
                                f"{qos} Zürich/Hornbachstrasse/50 19.0"]


@pytest.mark.skipif(not CLIENTS, reason="mosquitto-clients is not installed")
def test_retained_message_reaches_a_later_subscriber_and_is_cleared(broker):
    _, port = broker
    pub(port, "-t", "devices/42/status", "-m", "online", "-r", "-q", "1")
    s = sub(port, "-t", "devices/+/status", "-F", "%r %t %p")
    out, _ = s.communicate(timeout=15)
    assert out.strip() == "1 devices/42/status online"
    pub(port, "-t", "devices/42/status", "-n", "-r", "-q", "1")  # empty payload clears it
    s = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", "devices/#",
                        "-W", "1"], capture_output=True, text=True, timeout=10)
    assert s.stdout == ""


@pytest.mark.skipif(not CLIENTS, reason="mosquitto-clients is not installed")
def test_v5_properties_pass_through(broker):
    _, port = broker
    s = sub(port, "-t", "req/#", "-F", "%P|%C|%R|%E|%p", version="mqttv5")
    wait_subscribed()
    pub(port, "-t", "req/temp", "-m", "{}", "-q", "1", "-D", "publish", "user-property", "site",
        "zurich", "-D", "publish", "content-type", "application/json", "-D", "publish",
        "response-topic", "resp/1", "-D", "publish", "message-expiry-interval", "60",
        version="mqttv5")
    out, err = s.communicate(timeout=15)
    assert s.returncode == 0, err
    props, content_type, response_topic, expiry, payload = out.strip().split("|")
    assert props == "site:zurich" and content_type == "application/json"
    assert response_topic == "resp/1" and 55 <= int(expiry) <= 60 and payload == "{}"


def test_many_concurrent_connections_are_served(broker):
    _, port = broker
    sockets = []
    for i in range(200):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(connect_bytes(f"c{i}".encode()))
        sockets.append(s)
    for s in sockets:
        assert s.recv(4) == b"\x20\x02\x00\x00"  # CONNACK, accepted
        s.close()


def test_a_malformed_peer_loses_only_its_own_connection(broker):
    _, port = broker
    good = socket.create_connection(("127.0.0.1", port), timeout=5)
    good.sendall(connect_bytes(b"good", 5))
    assert good.recv(3)[:1] == b"\x20"
    good.recv(64)
    bad = socket.create_connection(("127.0.0.1", port), timeout=5)
    bad.sendall(connect_bytes(b"bad", 5))
    bad.recv(64)
    bad.sendall(bytes([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]))  # QoS 3
    reply = bad.recv(64)
    assert reply[:1] == b"\xe0" and reply[2] == 0x81  # DISCONNECT, Malformed Packet
    assert bad.recv(64) == b""  # then closed
    good.sendall(b"\xc0\x00")  # PINGREQ
    assert good.recv(2) == b"\xd0\x00"


def test_sigterm_stops_cleanly_and_tells_v5_clients(broker):
    proc, port = broker
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    client.sendall(connect_bytes(b"stays", 5))
    client.recv(64)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    reply = client.recv(64)
    assert reply[:1] == b"\xe0" and reply[2] == 0x8B  # DISCONNECT, Server shutting down


def test_a_bad_config_file_is_reported_with_its_position(tmp_path):
    config = tmp_path / "broker.yaml"
    config.write_text("maximum_qos: 3\nretain_avaliable: false\n")
    r = subprocess.run([BIN, "broker", "--config", str(config)], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 2
    assert f"{config}:1:14: maximum_qos: must be between 0 and 2" in r.stderr
    assert f"{config}:2:1: retain_avaliable: unknown key; did you mean 'retain_available'?" in r.stderr
