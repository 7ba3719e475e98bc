// CaseContext: a case's unique names (client ids, topic prefix), its transcript, and the ways a
// script ends a case early. Also the one-line packet summaries used in transcripts.
#include <cstdio>

#include "conformance/suite/suite.hpp"

namespace mqttsim::conformance {

using namespace protocol;

CaseContext::CaseContext(World& world, Version version, const Capabilities& caps,
                         const RunSettings& settings, std::string id_stem, std::string topic_prefix)
    : world_(world),
      version_(version),
      caps_(caps),
      settings_(settings),
      id_stem_(std::move(id_stem)),
      topic_prefix_(std::move(topic_prefix)),
      start_ns_(world.now()) {}

std::string CaseContext::unique_id(std::string_view name) const {
  std::string id = id_stem_ + std::string(name);
  if (id.size() > 23) id.resize(23);  // 1-23 characters must be accepted (MQTT-3.1.3-5)
  return id;
}

Client& CaseContext::client(std::string_view name) {
  return client(name, version_);
}

Client& CaseContext::client(std::string_view name, Version version) {
  clients_.push_back(std::make_unique<Client>(*this, unique_id(name), version));
  return *clients_.back();
}

std::string_view CaseContext::topic(std::string_view suffix) {
  return keep(topic_prefix_ + std::string(suffix));
}

void CaseContext::sleep_ms(std::int64_t ms) {
  note("waiting " + std::to_string(ms) + " ms");
  world_.sleep_until(world_.now() + ms * 1'000'000);
}

void CaseContext::note(std::string text) {
  record("note", std::move(text), nullptr, {});
}

void CaseContext::check_still_serving(std::string_view statement) {
  Client& c = client("alive");
  std::string error;
  c.connect_clean();
  c.send(Pingreq{});
  c.expect<Pingresp>({std::string(statement), "the broker keeps serving other clients: PINGRESP"});
  c.disconnect();
}

void CaseContext::fail(std::string statement, std::string reason, std::string expected) {
  throw CaseOutcome{reports::Verdict::fail, std::move(statement), std::move(reason),
                    std::move(expected), false};
}

void CaseContext::inconclusive(std::string reason) {
  throw CaseOutcome{reports::Verdict::inconclusive, {}, std::move(reason), {}, false};
}

void CaseContext::error(std::string reason, bool unreachable) {
  throw CaseOutcome{reports::Verdict::error, {}, std::move(reason), {}, unreachable};
}

void CaseContext::record(std::string direction, std::string summary, nlohmann::ordered_json packet,
                         std::span<const std::uint8_t> bytes) {
  reports::EvidenceEntry e;
  e.time_ms = static_cast<double>(world_.now() - start_ns_) / 1e6;
  e.direction = std::move(direction);
  e.summary = std::move(summary);
  e.packet = std::move(packet);
  e.hex = to_hex(bytes);
  // Bounded: a flood must not turn into a huge report.
  if (transcript_.size() < 400) transcript_.push_back(std::move(e));
}

std::string to_hex(std::span<const std::uint8_t> bytes, std::size_t max_bytes) {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < bytes.size() && i < max_bytes; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
    if (i != 0) out += ' ';
    out += buf;
  }
  if (bytes.size() > max_bytes) out += " ... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string summarize(const Packet& packet) {
  std::string s(packet_type_name(packet_type(packet)));
  const auto code = [](ReasonCode rc) { return std::to_string(static_cast<int>(rc)); };
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Connect>) {
          s += " client_id=" + std::string(p.client_id) + " clean=" + std::to_string(p.clean_start);
        } else if constexpr (std::is_same_v<T, Connack>) {
          s += " session_present=" + std::to_string(p.session_present) +
               " code=" + code(p.reason_code);
        } else if constexpr (std::is_same_v<T, Publish>) {
          s += " topic=" + std::string(p.topic) + " qos=" + std::to_string(int(p.qos)) +
               " dup=" + std::to_string(p.dup) + " retain=" + std::to_string(p.retain);
          if (p.qos != QoS::at_most_once) s += " id=" + std::to_string(p.packet_id);
          s += " payload=" + std::to_string(p.payload.size()) + "B";
        } else if constexpr (std::is_same_v<T, Suback> || std::is_same_v<T, Unsuback>) {
          s += " id=" + std::to_string(p.packet_id) + " codes=";
          for (ReasonCode rc : p.reason_codes) s += code(rc) + ",";
        } else if constexpr (std::is_same_v<T, Subscribe>) {
          s += " id=" + std::to_string(p.packet_id);
          for (const Subscription& sub : p.subscriptions) {
            s += " " + std::string(sub.filter) + "@" + std::to_string(int(sub.options.max_qos));
          }
        } else if constexpr (std::is_same_v<T, Unsubscribe>) {
          s += " id=" + std::to_string(p.packet_id);
        } else if constexpr (std::is_same_v<T, Disconnect> || std::is_same_v<T, Auth>) {
          s += " code=" + code(p.reason_code);
        } else if constexpr (std::is_same_v<T, Puback> || std::is_same_v<T, Pubrec> ||
                             std::is_same_v<T, Pubrel> || std::is_same_v<T, Pubcomp>) {
          s += " id=" + std::to_string(p.packet_id) + " code=" + code(p.reason_code);
        }
      },
      packet);
  return s;
}

}  // namespace mqttsim::conformance
