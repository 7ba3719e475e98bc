// Tests for topic names and filters: the specification's own matching examples, tables of valid
// and invalid names and filters with the statement each one breaks, shared subscriptions, very
// deep topics, and properties of matching over generated names.
#include "protocol/topic.hpp"

#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "protocol/utf8.hpp"

using namespace mqttsim::protocol;
using namespace std::string_literals;

namespace {

constexpr Version kAllVersions[] = {Version::v3_1, Version::v3_1_1, Version::v5};

// What a validator should say: nothing, or a kind, a spec ref and an offset.
struct Expected {
  ErrorKind kind;
  std::string_view spec_ref;
  std::size_t offset;
};

struct TableRow {
  std::string topic;
  Version version;
  std::optional<Expected> expected;
};

void check_row(const TableRow& row, const std::optional<Malformed>& actual) {
  CAPTURE(row.topic, static_cast<int>(row.version));
  if (!row.expected) {
    CHECK_FALSE(actual.has_value());
    if (actual) FAIL_CHECK(actual->reason);
    return;
  }
  REQUIRE(actual.has_value());
  CAPTURE(actual->reason);
  CHECK(static_cast<int>(actual->kind) == static_cast<int>(row.expected->kind));
  CHECK(actual->spec_ref == row.expected->spec_ref);
  CHECK(actual->offset == row.expected->offset);
  CHECK_FALSE(actual->reason.empty());
}

std::string join(const std::vector<std::string>& levels) {
  std::string out;
  for (std::size_t i = 0; i < levels.size(); ++i) out += (i == 0 ? "" : "/") + levels[i];
  return out;
}

// Topic levels built from characters that matter to matching ('$', empty levels, multi-byte
// UTF-8), never wildcards.
rc::Gen<std::vector<std::string>> name_levels() {
  const auto piece = rc::gen::element<std::string>("a", "b", "$", "x", " ", "\xC3\xA9", "SYS");
  const auto level = rc::gen::map(rc::gen::container<std::vector<std::string>>(piece),
                                  [](const std::vector<std::string>& pieces) {
                                    std::string out;
                                    for (const auto& p : pieces) out += p;
                                    return out;
                                  });
  return rc::gen::suchThat(
      rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(level)),
      [](const std::vector<std::string>& levels) { return !join(levels).empty(); });
}

}  // namespace

TEST_CASE("topic_matches follows the specification's multi-level wildcard examples") {
  for (const char* name : {"sport/tennis/player1", "sport/tennis/player1/ranking",
                           "sport/tennis/player1/score/wimbledon"}) {
    CHECK(topic_matches("sport/tennis/player1/#", name));
  }
  CHECK(topic_matches("sport/#", "sport"));
  CHECK(topic_matches("sport/#", "sport/"));
  CHECK(topic_matches("#", "sport/tennis/player1"));
  CHECK(topic_matches("#", "/"));
  CHECK_FALSE(topic_matches("sport/tennis/player1/#", "sport/tennis/player2"));
  CHECK_FALSE(topic_matches("sport/tennis/#", "sport/tennisplayer1"));
}

TEST_CASE("topic_matches follows the specification's single-level wildcard examples") {
  CHECK(topic_matches("sport/tennis/+", "sport/tennis/player1"));
  CHECK(topic_matches("sport/tennis/+", "sport/tennis/player2"));
  CHECK_FALSE(topic_matches("sport/tennis/+", "sport/tennis/player1/ranking"));
  CHECK_FALSE(topic_matches("sport/+", "sport"));
  CHECK(topic_matches("sport/+", "sport/"));
  CHECK(topic_matches("+/+", "/finance"));
  CHECK(topic_matches("/+", "/finance"));
  CHECK_FALSE(topic_matches("+", "/finance"));
  CHECK(topic_matches("+/tennis/#", "sport/tennis/player1"));
  CHECK(topic_matches("sport/+/player1", "sport/tennis/player1"));
  CHECK_FALSE(topic_matches("sport/+/player1", "sport/tennis/player2"));
}

TEST_CASE("topic_matches keeps $ topics away from filters starting with a wildcard") {
  CHECK_FALSE(topic_matches("#", "$SYS/x"));
  CHECK_FALSE(topic_matches("#", "$SYS"));
  CHECK_FALSE(topic_matches("+/monitor/Clients", "$SYS/monitor/Clients"));
  CHECK_FALSE(topic_matches("+", "$SYS"));
  CHECK(topic_matches("$SYS/#", "$SYS/monitor/Clients"));
  CHECK(topic_matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
  CHECK(topic_matches("$SYS/#", "$SYS"));
  // Only the first character counts: a '$' deeper down is an ordinary character.
  CHECK(topic_matches("+/$x", "a/$x"));
  CHECK(topic_matches("a/#", "a/$SYS"));
}

TEST_CASE("topic_matches compares levels exactly, without normalization") {
  CHECK(topic_matches("ACCOUNTS", "ACCOUNTS"));
  CHECK_FALSE(topic_matches("ACCOUNTS", "Accounts"));
  CHECK_FALSE(topic_matches("/finance", "finance"));
  CHECK_FALSE(topic_matches("finance/", "finance"));
  CHECK_FALSE(topic_matches("a", "a/b"));
  CHECK_FALSE(topic_matches("a/b", "a"));
  CHECK_FALSE(topic_matches("a/b/c", "a/b"));
  CHECK(topic_matches("a//b", "a//b"));
  CHECK(topic_matches("a/+/b", "a//b"));
  CHECK_FALSE(topic_matches("a/+/b", "a/b"));
  CHECK(topic_matches("Accounts payable", "Accounts payable"));
}

TEST_CASE("validate_topic_name accepts plain names and rejects each broken rule") {
  const std::vector<TableRow> rows = {
      {"sport/tennis/player1", Version::v3_1_1, std::nullopt},
      {"/", Version::v5, std::nullopt},
      {"$SYS/broker/load", Version::v5, std::nullopt},
      {"a//b/", Version::v3_1, std::nullopt},
      {"$share/g/a", Version::v5, std::nullopt},  // a name, not a filter: '$share' is plain text
      {"caf\xC3\xA9", Version::v5, std::nullopt},
      {"", Version::v3_1_1, Expected{ErrorKind::topic_name_invalid, "MQTT-4.7.3-1", 0}},
      {"", Version::v5, Expected{ErrorKind::topic_name_invalid, "MQTT-4.7.3-1", 0}},
      {"sport/+", Version::v3_1_1, Expected{ErrorKind::topic_name_invalid, "MQTT-3.3.2-2", 6}},
      {"sport/+", Version::v5, Expected{ErrorKind::topic_name_invalid, "MQTT-3.3.2-2", 6}},
      {"spo#rt", Version::v3_1, Expected{ErrorKind::topic_name_invalid, "MQTT-3.3.2-2", 3}},
      {"#", Version::v5, Expected{ErrorKind::topic_name_invalid, "MQTT-3.3.2-2", 0}},
      {"a\xED\xA0\x80", Version::v3_1_1, Expected{ErrorKind::malformed_packet, "MQTT-1.5.3-1", 1}},
      {"a\xED\xA0\x80", Version::v5, Expected{ErrorKind::malformed_packet, "MQTT-1.5.4-1", 1}},
      {"ab\xC0\x80", Version::v5, Expected{ErrorKind::malformed_packet, "MQTT-1.5.4-1", 2}},
      {"a\0b"s, Version::v3_1_1, Expected{ErrorKind::malformed_packet, "MQTT-1.5.3-2", 1}},
      {"a\0b"s, Version::v5, Expected{ErrorKind::malformed_packet, "MQTT-1.5.4-2", 1}},
      // UTF-8 is judged before wildcards: the first broken rule in this order is reported.
      {"+\xFF", Version::v5, Expected{ErrorKind::malformed_packet, "MQTT-1.5.4-1", 1}},
  };
  for (const TableRow& row : rows) check_row(row, validate_topic_name(row.topic, row.version));
}

TEST_CASE("validate_topic_name explains the problem and points into the enclosing packet") {
  const auto error = validate_topic_name("abcd+", Version::v5, {}, 12);
  REQUIRE(error.has_value());
  CHECK(error->reason == "topic name contains wildcard '+' at byte 4");
  CHECK(error->offset == 16);
  const auto utf8 = validate_topic_name("a\xED\xA0\x80", Version::v5, {}, 100);
  REQUIRE(utf8.has_value());
  CHECK(utf8->reason == "topic name encodes a surrogate (U+D800..U+DFFF) at byte 1");
  CHECK(utf8->offset == 101);
  const auto empty = validate_topic_name("", Version::v5, {}, 7);
  REQUIRE(empty.has_value());
  CHECK(empty->offset == 7);
}

TEST_CASE("validate_topic_name finds a bad byte at any position of a long name") {
  struct Bad {
    char byte;
    ErrorKind kind;
    std::string_view spec_ref;
  };
  const Bad bads[] = {{'+', ErrorKind::topic_name_invalid, "MQTT-3.3.2-2"},
                      {'#', ErrorKind::topic_name_invalid, "MQTT-3.3.2-2"},
                      {'\0', ErrorKind::malformed_packet, "MQTT-1.5.4-2"},
                      {'\x80', ErrorKind::malformed_packet, "MQTT-1.5.4-1"},
                      {'\xC3', ErrorKind::malformed_packet, "MQTT-1.5.4-1"}};
  for (const Bad& bad : bads) {
    for (std::size_t length : {8, 9, 16, 25, 31}) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string name(length, 'a');
        name[at] = bad.byte;
        const auto error = validate_topic_name(name, Version::v5);
        CAPTURE(bad.byte, length, at);
        REQUIRE(error.has_value());
        CHECK(error->kind == bad.kind);
        CHECK(error->spec_ref == bad.spec_ref);
        CHECK(error->offset == at);
      }
    }
  }
  // Control characters and DEL are only discouraged, wherever they are.
  for (std::size_t at = 0; at < 25; ++at) {
    for (const char byte : {'\x01', '\x1F', '\x7F'}) {
      std::string name(25, 'a');
      name[at] = byte;
      CHECK_FALSE(validate_topic_name(name, Version::v5).has_value());
    }
  }
}

TEST_CASE("validate_topic_filter accepts well-placed wildcards and rejects misplaced ones") {
  const auto v3 = Version::v3_1_1;
  const auto v5 = Version::v5;
  const auto bad = ErrorKind::topic_filter_invalid;
  std::vector<TableRow> rows;
  for (const Version v : kAllVersions) {
    for (const char* ok : {"#", "+", "sport/#", "sport/+/player1", "+/+", "/+", "$SYS/#", "a//b",
                           "+/tennis/#", "/", "//", "+/+/#", "sport/tennis/player1"}) {
      rows.push_back({ok, v, std::nullopt});
    }
  }
  const std::vector<TableRow> invalid = {
      {"", v3, Expected{bad, "MQTT-4.7.3-1", 0}},
      {"", v5, Expected{bad, "MQTT-4.7.3-1", 0}},
      {"sport+", v3, Expected{bad, "MQTT-4.7.1-3", 5}},
      {"sport+", v5, Expected{bad, "MQTT-4.7.1-2", 5}},
      {"sport+", Version::v3_1, Expected{bad, "MQTT-4.7.1-3", 5}},
      {"sport/+tennis", v3, Expected{bad, "MQTT-4.7.1-3", 6}},
      {"++", v5, Expected{bad, "MQTT-4.7.1-2", 0}},
      {"sport/tennis#", v3, Expected{bad, "MQTT-4.7.1-2", 12}},
      {"sport/tennis#", v5, Expected{bad, "MQTT-4.7.1-1", 12}},
      {"sport/tennis/#/ranking", v3, Expected{bad, "MQTT-4.7.1-2", 13}},
      {"sport/tennis/#/ranking", v5, Expected{bad, "MQTT-4.7.1-1", 13}},
      {"#/", v5, Expected{bad, "MQTT-4.7.1-1", 0}},
      {"+#", v3, Expected{bad, "MQTT-4.7.1-3", 0}},
      {"a/\xC0\x80", v3, Expected{ErrorKind::malformed_packet, "MQTT-1.5.3-1", 2}},
      {"a/\xC0\x80", v5, Expected{ErrorKind::malformed_packet, "MQTT-1.5.4-1", 2}},
      {"a/\0"s, v5, Expected{ErrorKind::malformed_packet, "MQTT-1.5.4-2", 2}},
  };
  rows.insert(rows.end(), invalid.begin(), invalid.end());
  for (const TableRow& row : rows) check_row(row, validate_topic_filter(row.topic, row.version));
}

TEST_CASE("validate_topic_filter checks $share/ filters under 5.0 only") {
  const auto v3 = Version::v3_1_1;
  const auto v5 = Version::v5;
  const auto bad = ErrorKind::topic_filter_invalid;
  const std::vector<TableRow> rows = {
      {"$share/g/a/+", v5, std::nullopt},
      {"$share/group/#", v5, std::nullopt},
      {"$share/g//", v5, std::nullopt},
      {"$share/", v5, Expected{bad, "MQTT-4.8.2-1", 7}},
      {"$share//a", v5, Expected{bad, "MQTT-4.8.2-1", 7}},
      {"$share/g", v5, Expected{bad, "MQTT-4.8.2-2", 8}},
      {"$share/g/", v5, Expected{bad, "MQTT-4.8.2-2", 9}},
      {"$share/g+/a", v5, Expected{bad, "MQTT-4.8.2-2", 8}},
      {"$share/#/a", v5, Expected{bad, "MQTT-4.8.2-2", 7}},
      {"$share/g/a+", v5, Expected{bad, "MQTT-4.7.1-2", 10}},
      {"$share/g/#/a", v5, Expected{bad, "MQTT-4.7.1-1", 9}},
      {"$share/g/\xED\xA0\x80", v5, Expected{ErrorKind::malformed_packet, "MQTT-1.5.4-1", 9}},
      // Before 5.0 these are ordinary filters beginning with '$'.
      {"$share//a", v3, std::nullopt},
      {"$share/g", v3, std::nullopt},
      {"$share/g/", Version::v3_1, std::nullopt},
      {"$share/g+/a", v3, Expected{bad, "MQTT-4.7.1-3", 8}},
      {"$share/#/a", v3, Expected{bad, "MQTT-4.7.1-2", 7}},
  };
  for (const TableRow& row : rows) check_row(row, validate_topic_filter(row.topic, row.version));
  const auto error = validate_topic_filter("$share/g/a+", v5, {}, 20);
  REQUIRE(error.has_value());
  CHECK(error->offset == 30);
  CHECK(error->reason == "topic filter has '+' that is not a whole level at byte 10");
}

TEST_CASE("topics of 65535 bytes are accepted and longer ones rejected") {
  const std::string longest(65535, 'a');
  for (const Version v : kAllVersions) {
    CHECK_FALSE(validate_topic_name(longest, v).has_value());
    CHECK_FALSE(validate_topic_filter(longest, v).has_value());
    const auto name = validate_topic_name(longest + "a", v);
    REQUIRE(name.has_value());
    CHECK(name->kind == ErrorKind::topic_name_invalid);
    CHECK(name->spec_ref == "MQTT-4.7.3-3");
    const auto filter = validate_topic_filter(longest + "a", v);
    REQUIRE(filter.has_value());
    CHECK(filter->kind == ErrorKind::topic_filter_invalid);
    CHECK(filter->spec_ref == "MQTT-4.7.3-3");
  }
}

TEST_CASE("discouraged characters are accepted in topics") {
  for (const std::string& topic : {"a\x01/b"s, "ctl\x7F"s, "\xC2\x85/nel"s, "\xEF\xBF\xBF"s,
                                   "x/\xEF\xB7\x90/y"s, "\xF4\x8F\xBF\xBF"s}) {
    CAPTURE(topic);
    CHECK(check_utf8(topic).discouraged);
    CHECK_FALSE(validate_topic_name(topic, Version::v5).has_value());
    CHECK_FALSE(validate_topic_filter(topic, Version::v3_1_1).has_value());
    CHECK(topic_matches(topic, topic));
  }
}

TEST_CASE("a topic of 65,400 levels is validated and matched without exhausting the stack") {
  const std::string name(65399, '/');  // 65,400 empty levels, 65,399 bytes
  const TopicLimits roomy{70000};
  CHECK_FALSE(validate_topic_name(name, Version::v5, roomy).has_value());
  CHECK_FALSE(validate_topic_filter(name, Version::v5, roomy).has_value());
  CHECK_FALSE(validate_topic_filter(name + "#", Version::v3_1_1, roomy).has_value());
  CHECK(topic_matches(name, name));
  CHECK(topic_matches("#", name));
  CHECK(topic_matches("+" + name, name));            // '+' for the first (empty) level
  CHECK(topic_matches(name.substr(1) + "#", name));  // '#' standing for the last two levels
  CHECK(topic_matches(name + "#", name));            // '#' standing for the last level
  CHECK(topic_matches(name + "/#", name));           // '#' standing for no level at all
  CHECK_FALSE(topic_matches(name + "/", name));
  CHECK_FALSE(topic_matches(name.substr(1), name));

  // '+' on every one of 32,000 non-empty levels.
  std::string deep_name = "a";
  std::string deep_filter = "+";
  for (int i = 1; i < 32000; ++i) {
    deep_name += "/a";
    deep_filter += "/+";
  }
  CHECK_FALSE(validate_topic_filter(deep_filter, Version::v5, roomy).has_value());
  CHECK(topic_matches(deep_filter, deep_name));
  CHECK_FALSE(topic_matches(deep_filter, deep_name + "/a"));
  CHECK_FALSE(topic_matches(deep_filter + "/+", deep_name));
}

TEST_CASE("topics deeper than the level limit are rejected as an implementation limit") {
  const std::string name(65399, '/');
  const auto error = validate_topic_name(name, Version::v5, {}, 5);
  REQUIRE(error.has_value());
  CHECK(error->kind == ErrorKind::implementation_limit);
  CHECK(error->spec_ref == "mqttsim-limit");
  CHECK(error->offset == 5 + 1023);  // the separator that opens level 1,025
  CHECK(error->reason == "topic name has more than 1024 levels (a limit of mqttsim) at byte 1023");

  const std::string at_limit(1023, '/');  // exactly 1,024 levels
  CHECK_FALSE(validate_topic_name(at_limit, Version::v5).has_value());
  CHECK_FALSE(validate_topic_filter(at_limit, Version::v5).has_value());
  const auto filter = validate_topic_filter(at_limit + "/#", Version::v3_1_1);
  REQUIRE(filter.has_value());
  CHECK(filter->kind == ErrorKind::implementation_limit);
  CHECK(filter->offset == 1023);

  const TopicLimits three{3};
  CHECK_FALSE(validate_topic_name("a/b/c", Version::v5, three).has_value());
  const auto four = validate_topic_name("a/b/c/d", Version::v5, three);
  REQUIRE(four.has_value());
  CHECK(four->offset == 5);
  // Under 5.0 the levels of a shared subscription are those of its inner filter.
  CHECK_FALSE(validate_topic_filter("$share/g/a/b/c", Version::v5, three).has_value());
  const auto shared = validate_topic_filter("$share/g/a/b/c/d", Version::v5, three, 2);
  REQUIRE(shared.has_value());
  CHECK(shared->kind == ErrorKind::implementation_limit);
  CHECK(shared->offset == 2 + 14);
}

TEST_CASE("parse_shared_subscription splits $share/{ShareName}/{filter}") {
  const auto full = parse_shared_subscription("$share/g/a/b");
  REQUIRE(full.has_value());
  CHECK(full->share_name == "g");
  CHECK(full->filter == "a/b");
  const auto no_filter = parse_shared_subscription("$share/g");
  REQUIRE(no_filter.has_value());
  CHECK(no_filter->share_name == "g");
  CHECK(no_filter->filter.empty());
  const auto empty_filter = parse_shared_subscription("$share/group/");
  REQUIRE(empty_filter.has_value());
  CHECK(empty_filter->share_name == "group");
  CHECK(empty_filter->filter.empty());
  const auto empty_name = parse_shared_subscription("$share//#");
  REQUIRE(empty_name.has_value());
  CHECK(empty_name->share_name.empty());
  CHECK(empty_name->filter == "#");
  for (const char* not_shared :
       {"sport/x", "$share", "$SHARE/g/a", "$sharex/g/a", "", "/$share/g/a"}) {
    CAPTURE(not_shared);
    CHECK_FALSE(parse_shared_subscription(not_shared).has_value());
  }
}

TEST_CASE("matching and validation of generated topics have the expected properties") {
  rc::prop("a filter equal to a valid name without wildcards matches it", [] {
    const std::string name = join(*name_levels());
    const auto version = *rc::gen::element(Version::v3_1, Version::v3_1_1, Version::v5);
    RC_ASSERT_FALSE(validate_topic_name(name, version).has_value());
    RC_ASSERT_FALSE(validate_topic_filter(name, version).has_value());
    RC_ASSERT(topic_matches(name, name));
  });
  rc::prop("'#' matches every name not starting with '$'", [] {
    const std::string name = join(*name_levels());
    RC_ASSERT(topic_matches("#", name) == (name.front() != '$'));
  });
  rc::prop("replacing any one level of a name by '+' still matches", [] {
    const auto levels = *name_levels();
    const auto index = *rc::gen::inRange<std::size_t>(0, levels.size());
    auto filter_levels = levels;
    filter_levels[index] = "+";
    const std::string name = join(levels);
    const std::string filter = join(filter_levels);
    RC_ASSERT_FALSE(validate_topic_filter(filter, Version::v5).has_value());
    // Except that a leading wildcard never reaches a '$' topic.
    RC_ASSERT(topic_matches(filter, name) == !(index == 0 && name.front() == '$'));
  });
  rc::prop("replacing the levels from any point on by '#' still matches", [] {
    const auto levels = *name_levels();
    const auto index = *rc::gen::inRange<std::size_t>(0, levels.size() + 1);
    std::vector<std::string> filter_levels(levels.begin(), levels.begin() + index);
    filter_levels.push_back("#");
    const std::string name = join(levels);
    RC_ASSERT(topic_matches(join(filter_levels), name) == !(index == 0 && name.front() == '$'));
  });
  rc::prop("a name differing in one level does not match", [] {
    const auto levels = *name_levels();
    const auto index = *rc::gen::inRange<std::size_t>(0, levels.size());
    auto other = levels;
    other[index] += "z";
    RC_ASSERT_FALSE(topic_matches(join(levels), join(other)));
  });
  rc::prop("validate_topic_name finds the first wildcard or excess level wherever it is", [] {
    const auto name =
        *rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::weightedElement<char>(
            {{20, 'a'}, {6, '/'}, {1, '+'}, {1, '#'}, {1, '\x01'}, {1, '\x7F'}})));
    // Half the time the default limit, under which names of 8 bytes or more take the one-pass
    // path for plain ASCII; otherwise a small limit, which the general path enforces.
    const auto max_levels = *rc::gen::oneOf(rc::gen::just<std::size_t>(TopicLimits{}.max_levels),
                                            rc::gen::inRange<std::size_t>(1, 40));
    const auto base = *rc::gen::inRange<std::size_t>(0, 100);
    std::optional<Expected> expected;
    std::size_t separators = 0;
    for (std::size_t i = 0; i < name.size() && !expected; ++i) {
      if (name[i] == '+' || name[i] == '#') {
        expected = Expected{ErrorKind::topic_name_invalid, "MQTT-3.3.2-2", base + i};
      } else if (name[i] == '/' && ++separators + 1 > max_levels) {
        expected = Expected{ErrorKind::implementation_limit, "mqttsim-limit", base + i};
      }
    }
    const auto actual = validate_topic_name(name, Version::v5, TopicLimits{max_levels}, base);
    RC_ASSERT(actual.has_value() == expected.has_value());
    if (actual) {
      RC_ASSERT(actual->kind == expected->kind);
      RC_ASSERT(actual->spec_ref == expected->spec_ref);
      RC_ASSERT(actual->offset == expected->offset);
    }
  });
}
