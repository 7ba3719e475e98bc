// lint(): what the decoder accepts but a peer may object to is reported with its rule.
#include <catch2/catch.hpp>

#include "protocol/lint.hpp"

using namespace mqttsim::protocol;

TEST_CASE("a control character in a topic is accepted but reported") {
  Publish p;
  p.topic =
      "sensors/\x07"
      "bell";
  const auto findings = lint(p, Version::v3_1_1);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].field == "topic");
  CHECK(findings[0].spec_ref == "MQTT-3.1.1 §1.5.3");
}

TEST_CASE("a payload marked UTF-8 that is not is reported under 5.0") {
  const std::uint8_t bad[] = {0xC3, 0x28};
  Publish p;
  p.topic = "t";
  p.payload = ByteView(bad, 2);
  p.properties.payload_format_indicator = 1;
  auto findings = lint(p, Version::v5);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].spec_ref == "MQTT-5.0 §3.3.2.3.2");
  p.properties.payload_format_indicator = 0;
  CHECK(lint(p, Version::v5).empty());
}

TEST_CASE("user property names and values are checked one by one") {
  Disconnect d;
  d.properties.user_properties = {{"ok", "fine"}, {"k", "\x7f"}};
  const auto findings = lint(d, Version::v5);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].field == "properties.user_properties[1].value");
}

TEST_CASE("client ids beyond 23 alphanumerics are reported, plain ones are not") {
  Connect c;
  c.client_id = "TempSensor0042";
  CHECK(lint(c, Version::v3_1_1).empty());
  c.client_id = "TempSensor-0042";  // '-' is outside the set every server must accept
  const auto findings = lint(c, Version::v3_1_1);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].spec_ref == "MQTT-3.1.3-5");
}
