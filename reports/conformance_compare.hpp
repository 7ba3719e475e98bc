// Comparing brokers: report.json files read back and rendered as one matrix, a row per case and
// protocol version, a column per broker (`mqttsim conform --compare a.json b.json ...`).
#pragma once

#include <iosfwd>
#include <string>
#include <variant>
#include <vector>

#include "reports/conformance_report.hpp"

namespace mqttsim::reports {

// Reads what to_json wrote (schema version kConformanceSchemaVersion); evidence is not read.
std::variant<ConformanceReport, std::string> read_conformance_json(const std::string& path);

// A plain-text matrix: per broker the counts, then every row where the brokers differ or fail.
void write_compare_text(const std::vector<ConformanceReport>& reports, std::ostream& out);
// The same matrix as one self-contained HTML page, every row.
void write_compare_html(const std::vector<ConformanceReport>& reports, std::ostream& out);

}  // namespace mqttsim::reports
