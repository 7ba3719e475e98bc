// lint(): walks every string of a packet for discouraged code points (3.1.1 §1.5.3, 5.0
// §1.5.4), checks payloads marked UTF-8, and client ids beyond what every server must accept.
#include "protocol/lint.hpp"

#include <type_traits>

#include "protocol/utf8.hpp"

namespace mqttsim::protocol {
namespace {

class Linter {
 public:
  explicit Linter(Version version) : version_(version) {}

  void text(std::string_view value, std::string field) {
    if (!check_utf8(value).discouraged) return;
    findings_.push_back({std::move(field),
                         "contains a control character or a Unicode non-character; the "
                         "specification says SHOULD NOT, and a receiver MAY close the connection",
                         is_v5(version_) ? "MQTT-5.0 §1.5.4" : "MQTT-3.1.1 §1.5.3"});
  }

  void properties(const Properties& props, const std::string& prefix) {
    for (const PropertyInfo& info : kPropertyTable) {
      const std::string field = prefix + "properties." + std::string(info.json_key);
      std::visit(
          [&](auto member) {
            const auto& slot = props.*member;
            using Slot = std::remove_cvref_t<decltype(slot)>;
            if constexpr (std::is_same_v<Slot, std::vector<UserProperty>>) {
              for (std::size_t i = 0; i < slot.size(); ++i) {
                text(slot[i].key, field + "[" + std::to_string(i) + "].key");
                text(slot[i].value, field + "[" + std::to_string(i) + "].value");
              }
            } else if constexpr (std::is_same_v<Slot, std::optional<std::string_view>>) {
              if (slot) text(*slot, field);
            }
          },
          info.field);
    }
  }

  // A payload marked as UTF-8 (Payload Format Indicator 1) that is not: the receiver MAY
  // refuse it with reason code 0x99.
  void payload(ByteView data, const Properties& props, std::string field) {
    if (props.payload_format_indicator != 1) return;
    if (check_utf8(data.as_chars()).status == Utf8Status::ok) return;
    findings_.push_back({std::move(field),
                         "is marked UTF-8 (Payload Format Indicator 1) but is not valid UTF-8; "
                         "the receiver MAY answer with reason code 0x99",
                         "MQTT-5.0 §3.3.2.3.2"});
  }

  void client_id(std::string_view id) {
    bool plain = !id.empty() && id.size() <= 23;
    for (char c : id) {
      plain = plain && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    }
    if (plain || id.empty()) return;
    findings_.push_back({"client_id",
                         "is not 1-23 characters of [0-9a-zA-Z], the only ids every server must "
                         "accept; a server MAY refuse it",
                         "MQTT-3.1.3-5"});
  }

  std::vector<Finding> take() { return std::move(findings_); }

 private:
  Version version_;
  std::vector<Finding> findings_;
};

}  // namespace

std::vector<Finding> lint(const Packet& packet, Version version) {
  Linter l(version);
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Connect>) {
          l.client_id(p.client_id);
          l.text(p.client_id, "client_id");
          if (p.username) l.text(*p.username, "username");
          if (p.will) {
            l.text(p.will->topic, "will.topic");
            l.properties(p.will->properties, "will.");
            l.payload(p.will->payload, p.will->properties, "will.payload");
          }
        } else if constexpr (std::is_same_v<T, Publish>) {
          l.text(p.topic, "topic");
          l.payload(p.payload, p.properties, "payload");
        } else if constexpr (std::is_same_v<T, Subscribe>) {
          for (std::size_t i = 0; i < p.subscriptions.size(); ++i) {
            l.text(p.subscriptions[i].filter, "subscriptions[" + std::to_string(i) + "].filter");
          }
        } else if constexpr (std::is_same_v<T, Unsubscribe>) {
          for (std::size_t i = 0; i < p.filters.size(); ++i) {
            l.text(p.filters[i], "filters[" + std::to_string(i) + "]");
          }
        }
        if constexpr (requires { p.properties; }) l.properties(p.properties, "");
      },
      packet);
  return l.take();
}

}  // namespace mqttsim::protocol
