// Escaping text for the HTML and XML reports, in one place: &, <, > and quotes become entities,
// and control characters XML 1.0 forbids (all below 0x20 but tab and newline) become '?'.
#pragma once

#include <string>
#include <string_view>

namespace mqttsim::reports {

inline std::string escape_markup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        const bool forbidden = static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t';
        out += forbidden ? '?' : c;
    }
  }
  return out;
}

}  // namespace mqttsim::reports
