// Names of the stream close reasons, for traces, reports and test messages.
#include "sim/net/transport.hpp"

namespace mqttsim::sim::net {

std::string_view to_string(StreamCloseReason reason) {
  switch (reason) {
    case StreamCloseReason::closed_by_peer:
      return "closed_by_peer";
    case StreamCloseReason::reset_by_peer:
      return "reset_by_peer";
    case StreamCloseReason::retries_exhausted:
      return "retries_exhausted";
    case StreamCloseReason::link_down_too_long:
      return "link_down_too_long";
    case StreamCloseReason::connect_failed:
      return "connect_failed";
  }
  return "?";
}

}  // namespace mqttsim::sim::net
