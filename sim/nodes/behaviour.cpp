// Sampling of behaviour distributions (sim/distributions.hpp only) and topic template expansion.
#include "sim/nodes/behaviour.hpp"

#include <stdexcept>

#include "sim/distributions.hpp"

namespace mqttsim::sim::nodes {

double Distribution::sample(Rng& rng) const {
  switch (kind) {
    case Kind::constant:
      return a;
    case Kind::uniform:
      return a == b ? a : uniform_real(rng, a, b);
    case Kind::exponential:
      return exponential(rng, a);
    case Kind::normal:
      return normal(rng, a, b);
    case Kind::lognormal:
      return lognormal(rng, a, b);
    case Kind::pareto:
      return pareto(rng, a, b);
  }
  throw std::invalid_argument("unknown distribution kind");
}

std::string expand_template(std::string_view text, std::uint32_t index, std::string_view node,
                            const std::map<std::string, std::vector<std::string>>& values,
                            const Rng& topic_rng) {
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find('{', pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, open - pos));
    const std::size_t close = text.find('}', open);
    if (close == std::string_view::npos) {
      throw std::invalid_argument("unclosed '{' in template \"" + std::string(text) + "\"");
    }
    const std::string name(text.substr(open + 1, close - open - 1));
    if (name == "id") {
      out.append(std::to_string(index));
    } else if (name == "node") {
      out.append(node);
    } else {
      auto it = values.find(name);
      if (it == values.end() || it->second.empty()) {
        throw std::invalid_argument("template \"" + std::string(text) + "\": no values for {" +
                                    name + "}");
      }
      Rng pick = topic_rng.fork(name);
      out.append(it->second[pick.below(it->second.size())]);
    }
    pos = close + 1;
  }
  return out;
}

}  // namespace mqttsim::sim::nodes
