// Reading user YAML with precise errors: every problem becomes `file:line:col: path: message`,
// all of them are collected in one pass, and unknown keys get a "did you mean". Values carry
// their units in the text ("250ms", "54Mbps", "1KiB"), so a file never leaves units to guess.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.hpp"

namespace mqttsim::sim::scenario {

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);
// The closest of `candidates` to `word` when it is a plausible typo, else empty.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// Parsers for the value forms, without a YAML node: nullopt when `text` is not of the form.
std::optional<TimeNs> parse_duration_ns(std::string_view text);       // "10s" "2.5ms" "1h" "0"
std::optional<std::int64_t> parse_rate_bps(std::string_view text);    // "54Mbps" "250kbps"
std::optional<std::int64_t> parse_size_bytes(std::string_view text);  // "64" "1KiB" "2MB"

class YamlReader {
 public:
  explicit YamlReader(std::string file_name) : file_(std::move(file_name)) {}

  const std::string& file() const { return file_; }
  const std::vector<std::string>& errors() const { return errors_; }
  bool ok() const { return errors_.empty(); }

  void error(const YAML::Node& at, std::string_view path, std::string_view message);
  // Values given by `--set a.b.0.c=...` have no place in the file: errors at or under such a
  // path say "--set a.b[0].c" instead of a line and column.
  void add_override_path(std::string_view dotted_path);
  // An error with no YAML position (for example a name that does not resolve, reported at the
  // mark recorded when it was read).
  void error_at(const YAML::Mark& mark, std::string_view path, std::string_view message);

  // True when `node` is a mapping; otherwise reports "expected a mapping". Unknown keys are
  // reported with a did-you-mean among `known`.
  bool expect_map(const YAML::Node& node, std::string_view path,
                  std::initializer_list<std::string_view> known);
  bool expect_map(const YAML::Node& node, std::string_view path,
                  const std::vector<std::string>& known);
  bool expect_sequence(const YAML::Node& node, std::string_view path);

  // Typed reads. On a bad value they report and return nullopt; a missing (undefined) node
  // returns nullopt silently so callers keep their defaults.
  std::optional<std::string> text(const YAML::Node& node, std::string_view path);
  std::optional<bool> flag(const YAML::Node& node, std::string_view path);
  std::optional<std::int64_t> integer(const YAML::Node& node, std::string_view path,
                                      std::int64_t min, std::int64_t max);
  std::optional<double> real(const YAML::Node& node, std::string_view path, double min, double max);
  std::optional<double> probability(const YAML::Node& node, std::string_view path) {
    return real(node, path, 0.0, 1.0);
  }
  std::optional<TimeNs> duration_ns(const YAML::Node& node, std::string_view path,
                                    TimeNs min_ns = 0, TimeNs max_ns = kTimeMaxNs);
  std::optional<std::int64_t> rate_bps(const YAML::Node& node, std::string_view path);
  std::optional<std::int64_t> size_bytes(const YAML::Node& node, std::string_view path,
                                         std::int64_t min, std::int64_t max);
  // One of `choices`; the message lists them.
  std::optional<std::string> choice(const YAML::Node& node, std::string_view path,
                                    std::initializer_list<std::string_view> choices);

 private:
  std::string file_;
  std::vector<std::string> errors_;
  std::vector<std::string> override_paths_;  // in reader form: a.b[0].c
};

// "a.b" + "c" → "a.b.c"; "" + "c" → "c".
std::string join_path(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, std::size_t index);

}  // namespace mqttsim::sim::scenario
