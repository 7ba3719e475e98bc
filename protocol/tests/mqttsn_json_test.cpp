// Tests of the MQTT-SN JSON form used by `mqttsim decode --sn`: field names, the text-or-hex
// rule for string and binary fields, rejection of malformed documents, and a round trip.
#include <catch2/catch.hpp>

#include <string>

#include "protocol/mqttsn_json.hpp"

namespace sn = mqttsim::protocol::sn;
using mqttsim::protocol::ByteView;
using json = nlohmann::ordered_json;

namespace {

sn::Packet parsed(const json& j, sn::JsonStorage& storage) {
  auto result = sn::from_json(j, storage);
  if (const auto* error = std::get_if<std::string>(&result)) FAIL(*error);
  return std::get<sn::Packet>(result);
}

std::string error_of(const json& j) {
  sn::JsonStorage storage;
  auto result = sn::from_json(j, storage);
  REQUIRE(std::holds_alternative<std::string>(result));
  return std::get<std::string>(result);
}

}  // namespace

TEST_CASE("a PUBLISH to a short topic name names every field and shows the name as text") {
  const sn::Publish p{false,
                      sn::QoS::fire_and_forget,
                      true,
                      sn::TopicIdType::short_name,
                      sn::short_topic_id('t', '1'),
                      0,
                      ByteView::of("21.5")};
  CHECK(sn::to_json(p) == json{{"type", "PUBLISH"},
                               {"dup", false},
                               {"qos", -1},
                               {"retain", true},
                               {"topic_id_type", "short_name"},
                               {"topic_name", "t1"},
                               {"msg_id", 0},
                               {"data", "21.5"}});
}

TEST_CASE("binary fields that are not printable text are written as hex") {
  const sn::Encapsulated e{2, ByteView::of(std::string_view("\x01\xFF", 2)),
                           sn::WillMsg{ByteView::of("bye\n")}};
  const json j = sn::to_json(e);
  CHECK(j["wireless_node_id"] == json{{"hex", "01ff"}});
  CHECK(j["message"] == json{{"type", "WILLMSG"}, {"message", "bye\n"}});
  CHECK(j["radius"] == 2);
}

TEST_CASE("every packet written as JSON reads back equal") {
  const std::string node("\x00\x01", 2);
  const sn::Packet packets[] = {
      sn::Connect{true, false, 30, "sensor-1"},
      sn::Subscribe{true, sn::QoS::exactly_once, sn::TopicIdType::predefined, 9, {}, 77},
      sn::Subscribe{false, sn::QoS::at_least_once, sn::TopicIdType::normal, 9, "a/+/c", 0},
      sn::Publish{true, sn::QoS::at_least_once, false, sn::TopicIdType::normal, 5, 1,
                  ByteView::of(std::string_view("\x00\xC3\x28", 3))},
      sn::Disconnect{},
      sn::Disconnect{600},
      sn::SubAck{sn::QoS::at_least_once, 5, 9, sn::ReturnCode::rejected_invalid_topic_id},
      sn::WillTopic{},
      sn::Encapsulated{3, ByteView::of(node), sn::PubRel{4}},
  };
  for (const auto& p : packets) {
    sn::JsonStorage storage;
    const json j = sn::to_json(p);
    INFO(j.dump());
    CHECK(parsed(json::parse(j.dump()), storage) == p);
  }
}

TEST_CASE("missing fields take their defaults when JSON is written by hand") {
  sn::JsonStorage storage;
  const auto p =
      parsed(json{{"type", "PUBLISH"}, {"topic_id", 3}, {"data", {{"hex", "0aFF"}}}}, storage);
  CHECK(p == sn::Packet(sn::Publish{false, sn::QoS::at_most_once, false, sn::TopicIdType::normal, 3,
                                    0, ByteView::of(std::string_view("\x0a\xff", 2))}));
}

TEST_CASE("malformed JSON documents are rejected with a reason instead of throwing") {
  CHECK(error_of(json::array()) == "expected a JSON object");
  CHECK(error_of(json{{"type", "PUBLISHX"}}).find("unknown message type") != std::string::npos);
  CHECK(error_of(json{{"type", "PUBACK"}, {"msg_id", 70000}}).find("msg_id") != std::string::npos);
  CHECK(error_of(json{{"type", "PUBACK"}, {"msg_id", 1.5}}).find("msg_id") != std::string::npos);
  CHECK(error_of(json{{"type", "PUBACK"}, {"return_code", "ok"}}).find("return_code") !=
        std::string::npos);
  CHECK(error_of(json{{"type", "PUBACK"}, {"msgid", 1}}).find("unknown field \"msgid\"") !=
        std::string::npos);
  CHECK(error_of(json{{"type", "WILLMSG"}, {"message", {{"hex", "abc"}}}}).find("hex") !=
        std::string::npos);
  CHECK(error_of(json{{"type", "PUBLISH"}, {"topic_id_type", "short_name"}, {"topic_name", "abc"}})
            .find("exactly 2") != std::string::npos);
  CHECK(error_of(json{{"type", "ENCAPSULATED"},
                      {"message", {{"type", "ENCAPSULATED"}, {"message", {{"type", "PINGRESP"}}}}}})
            .find("cannot carry another") != std::string::npos);
}

TEST_CASE("JSON that builds a packet the encoder would reject is refused with its section") {
  const std::string error =
      error_of(json{{"type", "PUBLISH"}, {"qos", -1}, {"topic_id", 1}, {"data", "x"}});
  CHECK(error.find("MQTT-SN 1.2 §6.8") != std::string::npos);
  CHECK(error_of(json{{"type", "CONNECT"}, {"client_id", ""}}).find("§5.3.1") != std::string::npos);
}
