// JSON form of MQTT-SN packets, for `mqttsim decode --sn` / `encode --sn` and for reports.
// Every field is named; from_json() accepts what to_json() writes and returns only packets that
// encode() accepts.
#pragma once

#include <array>
#include <deque>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "protocol/mqttsn.hpp"

namespace mqttsim::protocol::sn {

// Representation (one rule for every string or binary field: ClientId, topics, Data, WillMsg,
// GwAdd, Wireless Node Id):
// - printable UTF-8 text (no control characters other than tab, LF, CR) is a JSON string;
// - anything else is {"hex": "<lowercase hex>"}.
// from_json accepts either form for any such field. Other fields:
// - "type": the message name, e.g. "PUBLISH"; "qos": -1, 0, 1 or 2;
// - "topic_id_type": "normal" | "predefined" | "short_name";
// - "return_code": "accepted" | "rejected_congestion" | "rejected_invalid_topic_id" |
//   "rejected_not_supported";
// - PUBLISH writes "topic_name" (the 2 characters) for a short name, "topic_id" otherwise;
//   SUBSCRIBE/UNSUBSCRIBE write "topic_id" only for a predefined id;
// - an absent optional field is "" (GWINFO gw_address, PINGREQ client_id) or null
//   (DISCONNECT duration_s); ENCAPSULATED nests the carried packet under "message".
// from_json treats a missing field as its default (false, 0, empty) and rejects unknown fields.
nlohmann::ordered_json to_json(const Packet& packet);

// JSON names of TopicIdType and ReturnCode values, indexed by their wire value.
inline constexpr std::array<std::string_view, 3> kTopicIdTypeNames = {"normal", "predefined",
                                                                      "short_name"};
inline constexpr std::array<std::string_view, 4> kReturnCodeNames = {
    "accepted", "rejected_congestion", "rejected_invalid_topic_id", "rejected_not_supported"};

// Owns the bytes that packets built by from_json() view; a deque never moves its elements, so
// earlier views stay valid as more strings are added.
using JsonStorage = std::deque<std::string>;

using FromJsonResult = std::variant<Packet, std::string>;  // the packet, or why not
FromJsonResult from_json(const nlohmann::ordered_json& json, JsonStorage& storage);

}  // namespace mqttsim::protocol::sn
