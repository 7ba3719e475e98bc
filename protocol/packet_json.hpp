// Packets as JSON, for `mqttsim decode` / `mqttsim encode` and for evidence in reports. Every
// field is named. Binary data (payloads, passwords, correlation data) is a JSON string when it
// is valid UTF-8 and {"hex": "..."} otherwise, so the conversion is exact both ways.
#pragma once

#include <deque>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "protocol/packets.hpp"

namespace mqttsim::protocol {

nlohmann::ordered_json to_json(const Packet& packet, Version version);
nlohmann::ordered_json to_json(const Malformed& error);
nlohmann::ordered_json binary_to_json(ByteView data);

// Owns the bytes that packets built from JSON point into. Stable addresses: a deque of strings.
class TextStore {
 public:
  std::string_view keep(std::string text) { return chunks_.emplace_back(std::move(text)); }

 private:
  std::deque<std::string> chunks_;
};

// Builds a packet from the JSON written by to_json. Unknown keys, missing fields and wrong
// types are errors that name the JSON path, e.g. "/properties/receive_maximum: expected an
// integer 0..65535". `version` is used for the fields' defaults; a CONNECT's own "version"
// key wins for that packet.
std::variant<Packet, std::string> packet_from_json(const nlohmann::ordered_json& json,
                                                   Version version, TextStore& store);

// Parses "3.1", "3.1.1", "5", "5.0" (and the protocol levels "3", "4").
std::optional<Version> parse_version(std::string_view text);

}  // namespace mqttsim::protocol
