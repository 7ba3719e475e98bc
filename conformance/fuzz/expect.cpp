// What a broker owes, packet by packet (MQTT 3.1.1 §4.3 and 5.0 §4.3 flows): CONNACK, the
// acknowledgement with the same packet id, SUBACK/UNSUBACK, PINGRESP, and our own messages when
// a subscription of this connection matches. Shared subscriptions are left out: another member
// of the group may get the message, so nothing is owed to us.
#include "conformance/fuzz/expect.hpp"

#include <algorithm>

#include "protocol/topic.hpp"

namespace mqttsim::conformance::fuzz {
namespace {

constexpr int kConnack = 2;
constexpr int kPublish = 3;
constexpr int kPuback = 4;
constexpr int kPubrec = 5;
constexpr int kPubrel = 6;
constexpr int kPubcomp = 7;
constexpr int kSuback = 9;
constexpr int kUnsuback = 11;
constexpr int kPingresp = 13;

bool shared(const std::string& filter) {
  return filter.rfind("$share/", 0) == 0;
}

}  // namespace

void ReplyExpectations::on_sent(const protocol::Packet& packet, const std::string& topic) {
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, protocol::Connect>) {
          owe(kConnack, 0);
        } else if constexpr (std::is_same_v<T, protocol::Publish>) {
          if (p.qos == protocol::QoS::at_least_once) owe(kPuback, p.packet_id);
          if (p.qos == protocol::QoS::exactly_once) owe(kPubrec, p.packet_id);
          // A QoS 2 id not yet released is a duplicate: the broker must not deliver it again.
          const bool duplicate =
              p.qos == protocol::QoS::exactly_once && !qos2_unreleased_.insert(p.packet_id).second;
          if (!duplicate) owe_deliveries(p, topic);
        } else if constexpr (std::is_same_v<T, protocol::Pubrel>) {
          owe(kPubcomp, p.packet_id);
          qos2_unreleased_.erase(p.packet_id);
          const auto routed = qos2_routed_.find(p.packet_id);
          if (routed != qos2_routed_.end()) {
            owed_.push_back(routed->second);
            qos2_routed_.erase(routed);
          }
        } else if constexpr (std::is_same_v<T, protocol::Pubrec>) {
          // Answering one of our own QoS 2 messages routed back to us: PUBREL is owed.
          if (delivered_qos2_.erase(p.packet_id)) owe(kPubrel, p.packet_id);
        } else if constexpr (std::is_same_v<T, protocol::Subscribe>) {
          owe(kSuback, p.packet_id);
          auto& filters = subscribing_[p.packet_id];
          filters.clear();
          for (const auto& s : p.subscriptions) filters.emplace_back(s.filter);
        } else if constexpr (std::is_same_v<T, protocol::Unsubscribe>) {
          owe(kUnsuback, p.packet_id);
          for (const auto f : p.filters) granted_.erase(std::string(f));
        } else if constexpr (std::is_same_v<T, protocol::Pingreq>) {
          owe(kPingresp, 0);
        }
      },
      packet);
}

void ReplyExpectations::owe_deliveries(const protocol::Publish& publish, const std::string& topic) {
  const bool matched = std::any_of(granted_.begin(), granted_.end(), [&](const std::string& f) {
    return !shared(f) && protocol::topic_matches(f, topic);
  });
  if (!matched) return;
  Owed d;
  d.type = kPublish;
  d.topic = topic;
  d.payload = std::string(publish.payload.begin(), publish.payload.end());
  d.publish_id = publish.packet_id;
  if (publish.qos == protocol::QoS::exactly_once) {
    d.steers = false;
    qos2_routed_[publish.packet_id] = std::move(d);
  } else {
    owed_.push_back(std::move(d));
  }
}

void ReplyExpectations::drop_deliveries_of(std::uint16_t publish_id) {
  owed_.erase(std::remove_if(
                  owed_.begin(), owed_.end(),
                  [&](const Owed& o) { return o.type == kPublish && o.publish_id == publish_id; }),
              owed_.end());
}

ReplyExpectations::Match ReplyExpectations::on_received(const protocol::Packet& packet) {
  const int type = static_cast<int>(protocol::packet_type(packet));
  std::string topic;
  std::string payload;
  std::uint16_t id = 0;
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, protocol::Publish>) {
          topic = std::string(p.topic);
          payload = std::string(p.payload.begin(), p.payload.end());
          id = p.packet_id;
        } else if constexpr (requires { p.packet_id; }) {
          id = p.packet_id;
        }
      },
      packet);
  const auto it = std::find_if(owed_.begin(), owed_.end(), [&](const Owed& o) {
    if (o.type != type) return false;
    if (type == kPublish) return o.topic == topic && o.payload == payload;
    return o.packet_id == id;
  });
  if (it == owed_.end()) {
    // One of our QoS 2 messages routed before its PUBREL: nothing to wait for there.
    for (auto r = qos2_routed_.begin(); type == kPublish && r != qos2_routed_.end(); ++r) {
      if (r->second.topic == topic && r->second.payload == payload) {
        qos2_routed_.erase(r);
        return Match::awaited;
      }
    }
    return Match::unsolicited;
  }
  const std::uint16_t publish_id = it->packet_id;
  const bool steers = it->steers;
  owed_.erase(it);
  if (type == kPublish) {
    if (std::get<protocol::Publish>(packet).qos == protocol::QoS::exactly_once) {
      delivered_qos2_.insert(id);
    }
    return steers ? Match::delivery : Match::awaited;
  }
  if (const auto* suback = std::get_if<protocol::Suback>(&packet)) {
    const auto filters = subscribing_.find(id);
    if (filters != subscribing_.end()) {
      for (std::size_t i = 0; i < filters->second.size() && i < suback->reason_codes.size(); ++i) {
        if (static_cast<int>(suback->reason_codes[i]) < 0x80) granted_.insert(filters->second[i]);
      }
      subscribing_.erase(filters);
    }
  }
  // 5.0: a PUBACK or PUBREC with an error code says the message was not accepted.
  const auto reason = [](const auto& p) -> int {
    if constexpr (requires { p.reason_code; }) return static_cast<int>(p.reason_code);
    return 0;
  };
  if ((type == kPuback || type == kPubrec) && std::visit(reason, packet) >= 0x80) {
    drop_deliveries_of(publish_id);
    if (type == kPubrec) {
      // A refusing PUBREC ends the QoS 2 exchange: nothing will be routed, and the id is free.
      qos2_routed_.erase(publish_id);
      qos2_unreleased_.erase(publish_id);
    }
  }
  return Match::reply;
}

void ReplyExpectations::owe(int type, std::uint16_t packet_id) {
  Owed o;
  o.type = type;
  o.packet_id = packet_id;
  owed_.push_back(std::move(o));
}

bool ReplyExpectations::waiting() const {
  return !owed_.empty();
}

void ReplyExpectations::next_step() {
  owed_.clear();
}

}  // namespace mqttsim::conformance::fuzz
