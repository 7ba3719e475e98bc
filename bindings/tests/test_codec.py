"""The codec as Python sees it: round trips, strict errors with spec refs, bad arguments."""
import pytest

import mqttsim


def test_publish_round_trips_through_python():
    packet = {"type": "PUBLISH", "qos": 1, "packet_id": 7, "topic": "plant/line-07/sensor/temp",
              "payload": '{"temperature_c": 21.5}'}
    data = mqttsim.encode(packet)
    assert data[0] == 0x32
    decoded = mqttsim.decode(data)
    assert decoded["error"] is None
    (only,) = decoded["packets"]
    assert only["topic"] == "plant/line-07/sensor/temp"
    assert only["packet_id"] == 7
    assert only["payload"] == '{"temperature_c": 21.5}'


def test_malformed_bytes_name_the_normative_statement():
    # PUBLISH with both QoS bits set.
    result = mqttsim.decode(bytes([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]))
    assert result["packets"] == []
    assert result["error"]["spec_ref"] == "MQTT-3.3.1-4"


def test_encoder_refuses_what_the_decoder_would_reject():
    with pytest.raises(ValueError, match="MQTT-3.3.2-2"):
        mqttsim.encode({"type": "PUBLISH", "topic": "a/+/b"})


def test_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="version"):
        mqttsim.decode(b"\xc0\x00", version="4.0")
    with pytest.raises(ValueError, match="unknown key"):
        mqttsim.encode({"type": "PINGREQ", "colour": "blue"})
