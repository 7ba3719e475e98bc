// The JSON form used by `mqttsim decode`/`encode`: exact round trips for generated packets,
// and errors that name the JSON path.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "packet_gen.hpp"
#include "protocol/packet_json.hpp"

using namespace mqttsim::protocol;
using json = nlohmann::ordered_json;

TEST_CASE("every generated packet survives JSON and back") {
  rc::prop("packet_from_json(to_json(p)) == p", [](const testing::Sample& s) {
    const json j = to_json(s.packet, s.version);
    TextStore store;
    // Through text, as the CLI does, so nothing points into the first document.
    auto parsed = packet_from_json(json::parse(j.dump()), s.version, store);
    if (auto* error = std::get_if<std::string>(&parsed)) RC_FAIL(*error);
    RC_ASSERT(std::get<Packet>(parsed) == s.packet);
  });
}

TEST_CASE("binary that is not UTF-8 is written as hex") {
  const std::uint8_t raw[] = {0xFF, 0x00, 0x10};
  CHECK(binary_to_json(ByteView(raw, 3)) == json{{"hex", "ff0010"}});
  CHECK(binary_to_json(ByteView::of("21.5")) == json("21.5"));
}

TEST_CASE("JSON errors name the path of the problem") {
  TextStore store;
  auto check_error = [&](const char* text, const char* expected) {
    auto parsed = packet_from_json(json::parse(text), Version::v5, store);
    REQUIRE(std::holds_alternative<std::string>(parsed));
    CHECK_THAT(std::get<std::string>(parsed), Catch::Contains(expected));
  };
  check_error(R"({"type": "PUBLISH", "topic": "a", "qos": 7})", "/qos: expected an integer 0..3");
  check_error(R"({"type": "PUBLISH", "topic": "a", "colour": 1})", "/colour: unknown key");
  check_error(R"({"type": "PUBLISH"})", "missing key \"topic\"");
  check_error(R"({"type": "PUBLISH", "topic": "a", "properties": {"receive_max": 1}})",
              "/properties/receive_max: unknown key");
  check_error(R"({"type": "PUBLISH", "topic": "a", "payload": {"hex": "abc"}})", "odd number");
  check_error(R"({"type": "CONNECTX"})", "unknown packet type");
}
