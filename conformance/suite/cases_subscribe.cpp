// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK: the wildcard matching matrix (one case per row of a
// table), invalid filters, `$` topics, overlapping subscriptions, replacement, unsubscribing.
#include "conformance/suite/case_helpers.hpp"

namespace mqttsim::conformance {

using namespace protocol;
using namespace cases;

void add_subscription_cases(std::vector<Case>& out);

void add_dollar_cases(std::vector<Case>& out);

namespace {

struct MatchRow {
  const char* filter;  // relative to the case's topic prefix
  const char* topic;
  bool matches;
  const char* id = nullptr;  // for rows whose filter does not make a readable id
};

// Filters and topics both start under the case prefix, so "+/b" here is "<prefix>+/b".
const MatchRow kMatchRows[] = {
    {"a/b", "a/b", true},
    {"a/b", "a/c", false},
    {"a/b", "a/b/c", false},
    {"a/b/c", "a/b", false},
    {"a/b", "a/b/", false},
    {"a/b", "A/b", false},
    {"a/+", "a/b", true},
    {"a/+", "a/b/c", false},
    {"a/+", "a", false},
    {"a/+", "a/", true},
    {"+/b", "a/b", true},
    {"+/b", "a/c", false},
    {"a/+/c", "a/b/c", true},
    {"a/+/c", "a/b/d", false},
    {"a/+/c", "a//c", true},
    {"+/+", "a/b", true},
    {"+/+", "a/b/c", false},
    {"+", "a", true},
    {"+", "a/b", false},
    {"a/#", "a/b", true},
    {"a/#", "a/b/c/d", true},
    {"a/#", "a", true},
    {"a/#", "b/a", false},
    {"a/b/#", "a/bc", false},
    {"#", "a/b/c", true},
    {"+/#", "a", true},
    {"a/+/#", "a/b", true},
    {"a/+/+", "a/b", false},
    {"a//c", "a//c", true},
    {"a//c", "a/c", false},
    // No normalization (MQTT-4.7.3-4): precomposed U+00FC is not u + U+0308; spaces are kept.
    {"\xC3\xBC", "\xC3\xBC", true, "u_umlaut_vs_same"},
    {"\xC3\xBC", "u\xCC\x88", false, "u_umlaut_vs_decomposed"},
    {"a b", "a b", true, "space_vs_space"},
    {"a b", "a  b", false, "space_vs_two_spaces"},
    // '.' is an ordinary character: not a level separator, kept as sent.
    {"a.b", "a.b", true, "dot_vs_dot"},
    {"a.b", "a/b", false, "dot_vs_slash"},
};

std::string row_id(const MatchRow& row) {
  if (row.id != nullptr) return std::string("subscribe.match.") + row.id;
  std::string id = std::string(row.filter) + "_vs_" + row.topic;
  for (char& ch : id) {
    if (ch == '/') ch = '.';
    if (ch == '+') ch = 'P';
    if (ch == '#') ch = 'H';
  }
  return "subscribe.match." + id;
}

// A topic the filter surely matches: '+' and '#' become "x".
std::string sentinel_for(std::string_view filter) {
  std::string t;
  for (char ch : filter) t += (ch == '+' || ch == '#') ? 'x' : ch;
  if (!t.empty() && t.back() == '/') t += 'x';
  return t;
}

void add_match_matrix(std::vector<Case>& out) {
  for (const MatchRow& row : kMatchRows) {
    const bool wildcard = std::string_view(row.filter).find_first_of("+#") != std::string::npos;
    Case c{row_id(row),
           std::string("filter '") + row.filter + "' " +
               (row.matches ? "matches" : "does not match") + " topic '" + row.topic + "'",
           "subscribe",
           {"MQTT-4.7.1-2", "MQTT-4.7.1-3", "MQTT-3.3.2-3", "MQTT-4.7.3-4"},
           {"MQTT-4.7.1-1", "MQTT-4.7.1-2", "MQTT-3.3.2-3", "MQTT-4.7.3-4"},
           kBoth,
           wildcard ? std::vector<Capability>{Capability::wildcard_subscriptions}
                    : std::vector<Capability>{},
           {}};
    c.run = [row](CaseContext& ctx) {
      const std::string statement = ctx.st("MQTT-4.7.1-2", "MQTT-4.7.1-1");
      const std::string_view filter = ctx.topic(row.filter);
      const std::string_view topic = ctx.topic(row.topic);
      Client& s = connected(ctx, "sub");
      s.subscribe(filter, QoS::at_least_once);
      Client& pub = connected(ctx, "pub");
      pub.publish(topic, "probe", QoS::at_least_once);
      if (row.matches) {
        const Publish p =
            expect_publish(s, topic, statement, "the message on " + std::string(topic));
        ack(ctx, s, p);
        return;
      }
      // A message the filter surely matches, after the probe: if the probe had matched it would
      // come first (same publisher, same session), and the sentinel bounds the wait.
      const std::string_view sentinel = ctx.keep(ctx.prefix() + sentinel_for(row.filter));
      pub.publish(sentinel, "sentinel", QoS::at_least_once);
      const Publish p =
          s.expect<Publish>({statement, "only the sentinel on " + std::string(sentinel)});
      if (p.topic != sentinel) {
        ctx.fail(statement, "received the probe on " + std::string(p.topic),
                 "no message: '" + std::string(filter) + "' does not match it");
      }
      ack(ctx, s, p);
      s.expect_silence({statement, "no probe message after the sentinel"},
                       ctx.settings().silence_ns / 3);
    };
    out.push_back(std::move(c));
  }
}

// Invalid filters: the broker refuses them in the SUBACK or closes the connection.
void add_invalid_filters(std::vector<Case>& out) {
  struct Row {
    const char* id;
    const char* filter;
    const char* st311;
    const char* st5;
  };
  static const Row rows[] = {
      {"subscribe.invalid.hash_not_last", "a/#/b", "MQTT-4.7.1-2", "MQTT-4.7.1-1"},
      {"subscribe.invalid.hash_inside_level", "a/b#", "MQTT-4.7.1-2", "MQTT-4.7.1-1"},
      {"subscribe.invalid.plus_inside_level", "a/b+", "MQTT-4.7.1-3", "MQTT-4.7.1-2"},
      {"subscribe.invalid.plus_prefix", "a/+b/c", "MQTT-4.7.1-3", "MQTT-4.7.1-2"},
      {"subscribe.invalid.empty_filter", "", "MQTT-4.7.3-1", "MQTT-4.7.3-1"},
  };
  for (const Row& row : rows) {
    out.push_back(
        {row.id,
         std::string("the invalid filter '") + row.filter + "' is refused",
         "subscribe",
         {row.st311},
         {row.st5},
         kBoth,
         {},
         [row](CaseContext& ctx) {
           const std::string statement = ctx.st(row.st311, row.st5);
           Client& c = connected(ctx);
           const std::string filter =
               row.filter[0] == '\0' ? std::string() : ctx.prefix() + row.filter;
           c.send_raw(
               frame(0x82,
                     cat({{0x00, 0x07}, ctx.v5() ? Bytes{0x00} : Bytes{}, str(filter), {0x00}})),
               "SUBSCRIBE '" + filter + "'");
           if (expect_suback_failure_or_close(ctx, c, statement)) {
             ctx.check_still_serving(statement);
           }
         }});
  }
}

}  // namespace

void add_subscribe_cases(std::vector<Case>& out) {
  add_match_matrix(out);
  add_invalid_filters(out);
  add_dollar_cases(out);
  add_subscription_cases(out);
}

}  // namespace mqttsim::conformance
