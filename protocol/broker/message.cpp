// Building owned messages from decoded PUBLISH packets, and the forwarding PUBLISH back.
#include "protocol/broker/message.hpp"

namespace mqttsim::protocol {

namespace {
constexpr TimeNs kNsPerSecond = 1'000'000'000;

std::optional<std::string> owned(const std::optional<std::string_view>& text) {
  return text ? std::optional<std::string>(std::string(*text)) : std::nullopt;
}
}  // namespace

Message make_message(const Publish& publish, std::string_view topic, std::string publisher,
                     std::uint64_t sequence, TimeNs now) {
  Message m;
  m.sequence = sequence;
  m.publisher_client_id = std::move(publisher);
  m.topic = std::string(topic);
  m.payload = std::string(publish.payload.as_chars());
  m.qos = publish.qos;
  m.retain = publish.retain;
  m.received_ns = now;
  const Properties& props = publish.properties;
  if (props.message_expiry_interval_s) {
    m.expires_ns = now + static_cast<TimeNs>(*props.message_expiry_interval_s) * kNsPerSecond;
  }
  m.payload_format_indicator = props.payload_format_indicator;
  m.content_type = owned(props.content_type);
  m.response_topic = owned(props.response_topic);
  if (props.correlation_data) m.correlation_data = std::string(props.correlation_data->as_chars());
  for (const UserProperty& u : props.user_properties) {
    m.user_properties.emplace_back(std::string(u.key), std::string(u.value));
  }
  return m;
}

Publish forward_publish(const Message& message, TimeNs now) {
  Publish p;
  p.topic = message.topic;
  p.payload = ByteView::of(message.payload);
  p.qos = message.qos;
  Properties& props = p.properties;
  if (message.expires_ns) {
    // Whole seconds left, rounded up so a message never expires early at the receiver.
    const TimeNs left_ns = std::max<TimeNs>(*message.expires_ns - now, 0);
    props.message_expiry_interval_s =
        static_cast<std::uint32_t>((left_ns + kNsPerSecond - 1) / kNsPerSecond);
  }
  props.payload_format_indicator = message.payload_format_indicator;
  if (message.content_type) props.content_type = *message.content_type;
  if (message.response_topic) props.response_topic = *message.response_topic;
  if (message.correlation_data) props.correlation_data = ByteView::of(*message.correlation_data);
  for (const auto& [key, value] : message.user_properties)
    props.user_properties.push_back({key, value});
  return p;
}

}  // namespace mqttsim::protocol
