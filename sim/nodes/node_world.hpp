// What every MQTT node of the simulator shares: the kernel, the stream transport, the trace and
// the delivery ledger. Nodes keep one pointer to it, which keeps a virtual client small.
#pragma once

#include "sim/kernel.hpp"
#include "sim/net/transport.hpp"
#include "sim/nodes/ledger.hpp"
#include "sim/nodes/wire_counter.hpp"
#include "sim/trace.hpp"

namespace mqttsim::sim::nodes {

struct NodeWorld {
  Kernel& kernel;
  net::StreamTransport& transport;
  Trace& trace;
  DeliveryLedger& ledger;
};

// Counts the packets of one transmit buffer of `node` and traces each (layer mqtt, packet_sent),
// with QoS, packet id and the ledger's message key read from a PUBLISH. When `is_publisher`,
// the packet id of a message's first transmission goes into the ledger.
void account_sent(NodeWorld& world, net::NodeId node, std::uint32_t peer, bool v5,
                  bool is_publisher, std::span<const std::uint8_t> bytes, WireCounters& counters);

// A protocol_event record of `node` (label: static text).
void trace_protocol_event(NodeWorld& world, net::NodeId node, std::string_view label,
                          std::uint8_t reason = 0, std::uint64_t message = 0);

// One kernel timer that follows a moving deadline. A later deadline keeps the pending event (it
// fires early and the owner re-arms it), so a deadline that moves out on every packet, like
// keep alive, costs no cancel; an earlier one replaces the event.
class DeadlineTimer {
 public:
  // An event due later than now has not fired, and cancel() forgets the event: only one due
  // now needs the kernel's word. Saves a cache miss on the kernel's slot per re-arm.
  bool pending(const Kernel& kernel) const {
    return event_ != EventId{} && (kernel.now_ns() < at_ns_ || kernel.is_pending(event_));
  }
  TimeNs at_ns() const { return at_ns_; }
  template <class F>
  void arm(Kernel& kernel, TimeNs deadline_ns, F&& handler) {
    if (deadline_ns < kernel.now_ns()) deadline_ns = kernel.now_ns();
    if (pending(kernel)) {
      if (at_ns_ <= deadline_ns) return;
      kernel.cancel(event_);
    }
    at_ns_ = deadline_ns;
    event_ = kernel.schedule_at(deadline_ns, std::forward<F>(handler));
  }
  void cancel(Kernel& kernel) {
    kernel.cancel(event_);
    event_ = EventId{};
  }

 private:
  EventId event_;
  TimeNs at_ns_ = 0;
};

}  // namespace mqttsim::sim::nodes
