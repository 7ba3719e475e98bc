// Typed YAML reads with file:line:col errors (see yaml_reader.hpp).
#include "sim/scenario/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace mqttsim::sim::scenario {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t scale;
};

// A decimal number with an optional fraction ("2", "2.5") times `scale`, exactly when the
// fraction fits the scale (2.5ms is 2'500'000 ns, not a float's neighbour of it).
std::optional<std::int64_t> scaled_decimal(std::string_view digits, std::int64_t scale) {
  const std::size_t dot = digits.find('.');
  const std::string_view whole = digits.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "" : digits.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return std::nullopt;
  std::int64_t whole_value = 0;
  if (!whole.empty()) {
    auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), whole_value);
    if (ec != std::errc{} || end != whole.data() + whole.size() || whole_value < 0) {
      return std::nullopt;
    }
  }
  if (whole_value > std::numeric_limits<std::int64_t>::max() / scale) return std::nullopt;
  std::int64_t result = whole_value * scale;
  std::int64_t place = scale;
  for (const char c : fraction) {
    if (c < '0' || c > '9') return std::nullopt;
    place /= 10;
    result += (c - '0') * place;  // digits beyond the unit's resolution are dropped
  }
  return result;
}

std::optional<std::int64_t> with_units(std::string_view text, std::initializer_list<Unit> units,
                                       bool bare_allowed) {
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  for (const Unit& unit : units) {
    if (text.size() > unit.suffix.size() && text.ends_with(unit.suffix)) {
      std::string_view number = text.substr(0, text.size() - unit.suffix.size());
      while (!number.empty() && number.back() == ' ') number.remove_suffix(1);
      // "1ms" also ends with "s": only accept a suffix that follows a digit.
      if (number.empty() || (number.back() != '.' && (number.back() < '0' || number.back() > '9')))
        continue;
      return scaled_decimal(number, unit.scale);
    }
  }
  if (bare_allowed) return scaled_decimal(text, 1);
  return std::nullopt;
}

std::string quoted_list(std::initializer_list<std::string_view> items) {
  std::string out;
  for (std::string_view item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: insertions, deletions, substitutions and swaps of two neighbours
  // each cost 1, so "cuont" is one edit from "count".
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  // How many edits still look like a typo grows with the word: 1 up to 4 letters, then 2, then 3.
  const std::size_t limit = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const std::string& candidate : candidates) {
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) best = candidate, best_distance = d;
  }
  return best;
}

std::optional<TimeNs> parse_duration_ns(std::string_view text) {
  if (text == "0") return 0;
  return with_units(text,
                    {{"ns", 1},
                     {"us", kNsPerUs},
                     {"µs", kNsPerUs},
                     {"ms", kNsPerMs},
                     {"min", 60 * kNsPerS},
                     {"s", kNsPerS},
                     {"h", 3600 * kNsPerS},
                     {"d", 86400 * kNsPerS}},
                    false);
}

std::optional<std::int64_t> parse_rate_bps(std::string_view text) {
  return with_units(
      text, {{"Gbps", 1'000'000'000}, {"Mbps", 1'000'000}, {"kbps", 1'000}, {"bps", 1}}, false);
}

std::optional<std::int64_t> parse_size_bytes(std::string_view text) {
  return with_units(text,
                    {{"KiB", 1024},
                     {"MiB", 1024 * 1024},
                     {"GiB", 1024 * 1024 * 1024},
                     {"kB", 1000},
                     {"KB", 1000},
                     {"MB", 1'000'000},
                     {"GB", 1'000'000'000},
                     {"B", 1}},
                    true);
}

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::string index_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

void YamlReader::add_override_path(std::string_view dotted_path) {
  std::string path;
  std::size_t start = 0;
  while (start <= dotted_path.size()) {
    std::size_t dot = dotted_path.find('.', start);
    if (dot == std::string_view::npos) dot = dotted_path.size();
    const std::string_view part = dotted_path.substr(start, dot - start);
    const bool index =
        !part.empty() && part.find_first_not_of("0123456789") == std::string_view::npos;
    path = index ? index_path(path, std::stoul(std::string(part))) : join_path(path, part);
    start = dot + 1;
  }
  override_paths_.push_back(std::move(path));
}

// Built with append() only: g++ 12 at -O3 reports a false -Wrestrict on chains of
// `"literal" + std::string` here.
void YamlReader::error_at(const YAML::Mark& mark, std::string_view path, std::string_view message) {
  std::string line;
  for (const std::string& o : override_paths_) {
    const bool under = path.starts_with(o) &&
                       (path.size() == o.size() || path[o.size()] == '.' || path[o.size()] == '[');
    if (!under) continue;
    line.append("--set ").append(o).append(": ");
    if (path.size() != o.size()) line.append(path).append(": ");
    errors_.push_back(line.append(message));
    return;
  }
  line.append(file_);
  if (!mark.is_null() && mark.line >= 0) {
    line.append(":").append(std::to_string(mark.line + 1));
    line.append(":").append(std::to_string(mark.column + 1));
  }
  line.append(": ");
  if (!path.empty()) line.append(path).append(": ");
  errors_.push_back(line.append(message));
}

void YamlReader::error(const YAML::Node& at, std::string_view path, std::string_view message) {
  error_at(at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), path, message);
}

bool YamlReader::expect_map(const YAML::Node& node, std::string_view path,
                            std::initializer_list<std::string_view> known) {
  return expect_map(node, path, std::vector<std::string>(known.begin(), known.end()));
}

bool YamlReader::expect_map(const YAML::Node& node, std::string_view path,
                            const std::vector<std::string>& known) {
  if (!node.IsMap()) {
    error(node, path, "expected a mapping");
    return false;
  }
  for (const auto& item : node) {
    if (!item.first.IsScalar()) {
      error(item.first, path, "keys must be plain names");
      continue;
    }
    const std::string key = item.first.Scalar();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const std::string hint = closest_match(key, known);
    error(item.first, join_path(path, key),
          hint.empty() ? "unknown key" : "unknown key; did you mean '" + hint + "'?");
  }
  return true;
}

bool YamlReader::expect_sequence(const YAML::Node& node, std::string_view path) {
  if (node.IsSequence()) return true;
  error(node, path, "expected a list");
  return false;
}

std::optional<std::string> YamlReader::text(const YAML::Node& node, std::string_view path) {
  if (!node.IsDefined()) return std::nullopt;
  if (!node.IsScalar()) {
    error(node, path, "expected a string");
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<bool> YamlReader::flag(const YAML::Node& node, std::string_view path) {
  if (!node.IsDefined()) return std::nullopt;
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    error(node, path, "expected true or false");
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> YamlReader::integer(const YAML::Node& node, std::string_view path,
                                                std::int64_t min, std::int64_t max) {
  if (!node.IsDefined()) return std::nullopt;
  std::int64_t value = 0;
  const std::string& s = node.IsScalar() ? node.Scalar() : std::string();
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (!node.IsScalar() || s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
    error(node, path, "expected an integer");
    return std::nullopt;
  }
  if (value < min || value > max) {
    error(node, path,
          "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", not " + s);
    return std::nullopt;
  }
  return value;
}

std::optional<double> YamlReader::real(const YAML::Node& node, std::string_view path, double min,
                                       double max) {
  if (!node.IsDefined()) return std::nullopt;
  double value = 0;
  const std::string& s = node.IsScalar() ? node.Scalar() : std::string();
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (!node.IsScalar() || s.empty() || ec != std::errc{} || end != s.data() + s.size() ||
      !std::isfinite(value)) {
    error(node, path, "expected a number");
    return std::nullopt;
  }
  if (value < min || value > max) {
    error(node, path,
          "must be between " + YAML::Node(min).Scalar() + " and " + YAML::Node(max).Scalar() +
              ", not " + s);
    return std::nullopt;
  }
  return value;
}

std::optional<TimeNs> YamlReader::duration_ns(const YAML::Node& node, std::string_view path,
                                              TimeNs min_ns, TimeNs max_ns) {
  if (!node.IsDefined()) return std::nullopt;
  const std::optional<TimeNs> value =
      node.IsScalar() ? parse_duration_ns(node.Scalar()) : std::nullopt;
  if (!value) {
    error(node, path, "expected a duration with a unit, like 250ms, 10s, 5min or 1h");
    return std::nullopt;
  }
  if (*value < min_ns || *value > max_ns) {
    error(node, path, "duration out of range");
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> YamlReader::rate_bps(const YAML::Node& node, std::string_view path) {
  if (!node.IsDefined()) return std::nullopt;
  const auto value = node.IsScalar() ? parse_rate_bps(node.Scalar()) : std::nullopt;
  if (!value) error(node, path, "expected a bit rate with a unit, like 250kbps or 54Mbps");
  return value;
}

std::optional<std::int64_t> YamlReader::size_bytes(const YAML::Node& node, std::string_view path,
                                                   std::int64_t min, std::int64_t max) {
  if (!node.IsDefined()) return std::nullopt;
  const auto value = node.IsScalar() ? parse_size_bytes(node.Scalar()) : std::nullopt;
  if (!value) {
    error(node, path, "expected a size in bytes, like 64, 1KiB or 2MB");
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    error(node, path,
          "must be between " + std::to_string(min) + " and " + std::to_string(max) + " bytes");
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> YamlReader::choice(const YAML::Node& node, std::string_view path,
                                              std::initializer_list<std::string_view> choices) {
  const std::optional<std::string> value = text(node, path);
  if (!value) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *value) != choices.end()) return value;
  error(node, path, "expected one of " + quoted_list(choices) + ", not '" + *value + "'");
  return std::nullopt;
}

}  // namespace mqttsim::sim::scenario
