// An application message as the broker keeps it: owned bytes, immutable once built, shared by
// every queue and inflight slot that refers to it. Only the properties a broker forwards are
// kept (MQTT 5.0 §3.3.4: the server passes them on unchanged, Message Expiry reduced).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/packets.hpp"

namespace mqttsim::protocol {

struct Message {
  std::uint64_t sequence = 0;  // order of arrival at the broker; names the message in events
  std::string publisher_client_id;
  std::string topic;
  std::string payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  TimeNs received_ns = 0;
  std::optional<TimeNs> expires_ns;  // from Message Expiry Interval
  std::optional<std::uint8_t> payload_format_indicator;
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::string> correlation_data;
  std::vector<std::pair<std::string, std::string>> user_properties;

  bool expired(TimeNs now) const { return expires_ns && now >= *expires_ns; }
  friend bool operator==(const Message&, const Message&) = default;
};

using MessagePtr = std::shared_ptr<const Message>;

// Copies what a broker keeps of an incoming PUBLISH (or Will) out of the decoder's buffer.
Message make_message(const Publish& publish, std::string_view topic, std::string publisher,
                     std::uint64_t sequence, TimeNs now);

// The PUBLISH that forwards `message`; its views point into `message`, which must outlive the
// returned packet. Message Expiry is the time left at `now` (5.0 §3.3.2.3.3).
Publish forward_publish(const Message& message, TimeNs now);

}  // namespace mqttsim::protocol
