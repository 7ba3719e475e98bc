// The suite: every case file's cases, in one stable order, built once.
#include <set>
#include <stdexcept>

#include "conformance/suite/suite.hpp"

namespace mqttsim::conformance {

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = [] {
    std::vector<Case> out;
    add_connect_cases(out);
    add_publish_cases(out);
    add_subscribe_cases(out);
    add_session_cases(out);
    add_malformed_cases(out);
    add_v5_cases(out);
    add_more_cases(out);
    std::set<std::string> ids;
    for (const Case& c : out) {
      if (!ids.insert(c.id).second) throw std::logic_error("duplicate case id " + c.id);
    }
    return out;
  }();
  return cases;
}

}  // namespace mqttsim::conformance
