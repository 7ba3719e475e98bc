// Unit tests of the broker fuzzer: the seeded generator (same seed, same cases), the seed cases
// (every malformed class present, each rejected by our strict decoder), mutation, the replies a
// broker owes, known-deviation lists, the replay file, and whole runs against BrokerCore
// in-process (the case log repeats exactly for one seed).
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <set>

#include "conformance/fuzz/expect.hpp"
#include "conformance/fuzz/generator.hpp"
#include "conformance/suite/target.hpp"
#include "protocol/codec.hpp"

namespace mqttsim::conformance::fuzz {
namespace {

std::vector<Bytes> draw(std::uint64_t seed, protocol::Version v) {
  Generator gen(v, seed);
  std::vector<Bytes> out{gen.first_packet().bytes};
  ReplyState state;
  for (int i = 0; i < 200; ++i) {
    state.type = i % 7;  // walk through several reply states
    state.packet_id = static_cast<std::uint16_t>(i);
    state.qos = i % 3;
    out.push_back(gen.next(state).bytes);
  }
  return out;
}

// True when the strict server-side stream decoder rejects `steps` somewhere.
bool rejected(const std::vector<Step>& steps) {
  protocol::StreamOptions options;
  options.sender = protocol::Sender::client;
  options.enforce_connect_order = true;
  protocol::StreamDecoder dec(options);
  for (const Step& s : steps) {
    dec.feed(protocol::ByteView(s.bytes.data(), s.bytes.size()));
    protocol::Packet p;
    for (;;) {
      const auto status = dec.next(p);
      if (status == protocol::StreamDecoder::Status::malformed) return true;
      if (status == protocol::StreamDecoder::Status::need_more) break;
    }
  }
  return false;
}

TEST_CASE("the same seed draws the same packets and another seed draws others") {
  for (const auto v : {protocol::Version::v3_1_1, protocol::Version::v5}) {
    CHECK(draw(42, v) == draw(42, v));
    CHECK(draw(42, v) != draw(43, v));
  }
}

TEST_CASE("the seed cases cover malformed classes 1 to 20 and CVE triggers under 5.0") {
  Generator gen(protocol::Version::v5, 1);
  std::set<std::string> classes;
  for (const auto& c : gen.seed_cases()) {
    for (const Step& s : c) classes.insert(s.label.substr(0, s.label.find(':')));
  }
  for (int n = 1; n <= 20; ++n) {
    const std::string name = (n < 10 ? "c0" : "c") + std::to_string(n);
    INFO(name);
    CHECK(classes.count(name) == 1);
  }
  CHECK(classes.count("cve") == 1);
}

TEST_CASE("every single-packet seed trigger is rejected by the strict decoder, except the MAYs") {
  for (const auto v : {protocol::Version::v3_1_1, protocol::Version::v5}) {
    Generator gen(v, 1);
    for (const auto& c : gen.seed_cases()) {
      const std::string label = c.back().label;
      // Stateful triggers (class 20), tolerated non-minimal varints (class 2), a $-topic and
      // packets a broker may ignore are well-formed bytes: the broker's handling is the test.
      if (label.rfind("c20", 0) == 0 || label.rfind("c02", 0) == 0 ||
          label.find("CVE-2018-12543") != std::string::npos) {
        continue;
      }
      INFO(label);
      CHECK(rejected(c));
    }
  }
}

TEST_CASE("a mutation changes the packet and a reframed one keeps a consistent length") {
  Prng rng(9);
  const Bytes valid{0x30, 0x07, 0x00, 0x04, 'f', 'z', '/', 'a', 'x'};
  int changed = 0;
  for (int i = 0; i < 100; ++i) {
    const Bytes m = mutate_bytes(valid, rng, true);
    if (m != valid) ++changed;
    REQUIRE(m.size() >= 2);
    if (!(m[1] & 0x80)) CHECK(static_cast<std::size_t>(m[1]) + 2 == m.size());
  }
  CHECK(changed > 80);
}

TEST_CASE("a finding's replay file reads back to the same steps and version") {
  Finding f;
  f.kind = FindingKind::crash;
  f.detail = "probe: the port refuses connections";
  f.signature = "crash after PUBLISH c06 [MQTT-3.3.1-4]";
  f.input.version = protocol::Version::v5;
  f.input.steps = {{0, {0x10, 0x00}, "valid:CONNECT"}, {17, {0x36, 0x01, 0xFF}, "c06:PUBLISH"}};
  std::string error;
  const auto back = input_from_json(input_to_json(f, 5), error);
  REQUIRE(back);
  CHECK(back->version == protocol::Version::v5);
  REQUIRE(back->steps.size() == 2);
  CHECK(back->steps[1].at_ms == 17);
  CHECK(back->steps[1].bytes == Bytes{0x36, 0x01, 0xFF});
  CHECK_FALSE(input_from_json("{\"format\": \"other\"}", error));
  CHECK_FALSE(error.empty());
}

protocol::Packet decoded(const Bytes& bytes, protocol::Sender sender,
                         protocol::Version version = protocol::Version::v3_1_1) {
  auto result =
      protocol::decode_packet(protocol::ByteView(bytes.data(), bytes.size()), version, sender);
  REQUIRE(std::holds_alternative<protocol::Packet>(result));
  return std::get<protocol::Packet>(result);
}

TEST_CASE("a broker owes CONNACK, the acknowledgement with the same id, and our own message back") {
  using M = ReplyExpectations::Match;
  const auto c = protocol::Sender::client;
  const auto s = protocol::Sender::server;
  ReplyExpectations owed;
  owed.on_sent(decoded({0x10, 0x0C, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 30, 0, 0}, c), "");
  CHECK(owed.waiting());
  CHECK(owed.on_received(decoded({0x20, 0x02, 0, 0}, s)) == M::reply);
  CHECK_FALSE(owed.waiting());
  owed.next_step();
  // SUBSCRIBE fz/# QoS 1, granted: a later QoS 1 PUBLISH on fz/a owes PUBACK and the message.
  owed.on_sent(decoded({0x82, 0x09, 0, 7, 0, 4, 'f', 'z', '/', '#', 1}, c), "");
  CHECK(owed.on_received(decoded({0x90, 0x03, 0, 8, 1}, s)) == M::unsolicited);  // wrong id
  CHECK(owed.on_received(decoded({0x90, 0x03, 0, 7, 1}, s)) == M::reply);
  owed.next_step();
  const Bytes publish{0x32, 0x09, 0, 4, 'f', 'z', '/', 'a', 0, 9, 'p'};
  owed.on_sent(decoded(publish, c), "fz/a");
  CHECK(owed.on_received(decoded({0x40, 0x02, 0, 9}, s)) == M::reply);
  CHECK(owed.waiting());  // the message itself is still owed
  CHECK(owed.on_received(decoded({0x32, 0x09, 0, 4, 'f', 'z', '/', 'a', 0, 1, 'p'}, s)) ==
        M::delivery);
  CHECK_FALSE(owed.waiting());
}

TEST_CASE("nothing is owed back for a refused subscription, a shared one, or a QoS 2 duplicate") {
  const auto c = protocol::Sender::client;
  const auto s = protocol::Sender::server;
  ReplyExpectations owed;
  owed.on_sent(decoded({0x82, 0x09, 0, 7, 0, 4, 'f', 'z', '/', '#', 1}, c), "");
  owed.on_received(decoded({0x90, 0x03, 0, 7, 0x80}, s));  // refused
  owed.next_step();
  owed.on_sent(decoded({0x30, 0x07, 0, 4, 'f', 'z', '/', 'a', 'p'}, c), "fz/a");
  CHECK_FALSE(owed.waiting());
  const Bytes shared{0x82, 0x12, 0,   8,   0,   13,  '$', 's', 'h', 'a',
                     'r',  'e',  '/', 'g', '/', 'f', 'z', '/', '#', 0};
  owed.on_sent(decoded(shared, c), "");
  owed.on_received(decoded({0x90, 0x03, 0, 8, 0}, s));
  owed.next_step();
  owed.on_sent(decoded({0x30, 0x07, 0, 4, 'f', 'z', '/', 'a', 'q'}, c), "fz/a");
  CHECK_FALSE(owed.waiting());
  // QoS 2 (MQTT-4.3.3): the same id again before PUBREL owes PUBREC, not a second delivery.
  owed.on_sent(decoded({0x82, 0x09, 0, 9, 0, 4, 'f', 'z', '/', '#', 2}, c), "");
  owed.on_received(decoded({0x90, 0x03, 0, 9, 2}, s));
  owed.next_step();
  const Bytes qos2{0x34, 0x09, 0, 4, 'f', 'z', '/', 'a', 0, 3, 'r'};
  owed.on_sent(decoded(qos2, c), "fz/a");
  owed.next_step();
  owed.on_sent(decoded(qos2, c), "fz/a");
  CHECK(owed.on_received(decoded({0x50, 0x02, 0, 3}, s)) == ReplyExpectations::Match::reply);
  CHECK_FALSE(owed.waiting());
}

TEST_CASE("our QoS 2 message is owed by the PUBCOMP, whether routed on PUBLISH or on PUBREL") {
  using M = ReplyExpectations::Match;
  const auto c = protocol::Sender::client;
  const auto s = protocol::Sender::server;
  ReplyExpectations owed;
  owed.on_sent(decoded({0x82, 0x09, 0, 1, 0, 4, 'f', 'z', '/', '#', 2}, c), "");
  owed.on_received(decoded({0x90, 0x03, 0, 1, 2}, s));
  owed.next_step();
  const Bytes qos2{0x34, 0x09, 0, 4, 'f', 'z', '/', 'a', 0, 3, 'r'};
  const Bytes routed{0x34, 0x09, 0, 4, 'f', 'z', '/', 'a', 0, 1, 'r'};
  // Method A (MQTT-4.3.3): routed only on PUBREL; the PUBLISH step owes PUBREC alone.
  owed.on_sent(decoded(qos2, c), "fz/a");
  CHECK(owed.on_received(decoded({0x50, 0x02, 0, 3}, s)) == M::reply);
  CHECK_FALSE(owed.waiting());
  owed.next_step();
  owed.on_sent(decoded({0x62, 0x02, 0, 3}, c), "");
  CHECK(owed.on_received(decoded({0x70, 0x02, 0, 3}, s)) == M::reply);
  CHECK(owed.waiting());
  CHECK(owed.on_received(decoded(routed, s)) == M::awaited);  // never steers
  CHECK_FALSE(owed.waiting());
  owed.next_step();
  // Method B: routed at once; then PUBREL owes PUBCOMP only.
  const Bytes again{0x34, 0x09, 0, 4, 'f', 'z', '/', 'a', 0, 4, 'r'};
  owed.on_sent(decoded(again, c), "fz/a");
  CHECK(owed.on_received(decoded(routed, s)) == M::awaited);
  owed.next_step();
  owed.on_sent(decoded({0x62, 0x02, 0, 4}, c), "");
  CHECK(owed.on_received(decoded({0x70, 0x02, 0, 4}, s)) == M::reply);
  CHECK_FALSE(owed.waiting());
}

TEST_CASE("a QoS 2 message refused by its PUBREC is owed no delivery, and its id is free again") {
  using M = ReplyExpectations::Match;
  const auto c = protocol::Sender::client;
  const auto s = protocol::Sender::server;
  ReplyExpectations owed;
  owed.on_sent(decoded({0x82, 0x09, 0, 1, 0, 4, 'f', 'z', '/', '#', 2}, c), "");
  owed.on_received(decoded({0x90, 0x03, 0, 1, 2}, s));
  owed.next_step();
  const Bytes qos2{0x34, 0x09, 0, 4, 'f', 'z', '/', 'a', 0, 5, 'r'};
  owed.on_sent(decoded(qos2, c), "fz/a");
  // 5.0 PUBREC 0x80 (Unspecified error): the exchange ends here (MQTT-4.3.3).
  CHECK(owed.on_received(decoded({0x50, 0x03, 0, 5, 0x80}, s, protocol::Version::v5)) == M::reply);
  owed.next_step();
  owed.on_sent(decoded({0x62, 0x02, 0, 5}, c), "");  // a PUBREL anyway: owes PUBCOMP only
  CHECK(owed.on_received(decoded({0x70, 0x02, 0, 5}, s)) == M::reply);
  CHECK_FALSE(owed.waiting());
  owed.next_step();
  // The id was released by the refusal: the same id again is a new message, routed on PUBREL.
  owed.on_sent(decoded(qos2, c), "fz/a");
  CHECK(owed.on_received(decoded({0x50, 0x02, 0, 5}, s)) == M::reply);
  owed.next_step();
  owed.on_sent(decoded({0x62, 0x02, 0, 5}, c), "");
  CHECK(owed.on_received(decoded({0x70, 0x02, 0, 5}, s)) == M::reply);
  CHECK(owed.waiting());
  const Bytes routed{0x34, 0x09, 0, 4, 'f', 'z', '/', 'a', 0, 1, 'r'};
  CHECK(owed.on_received(decoded(routed, s)) == M::awaited);
  CHECK_FALSE(owed.waiting());
}

TEST_CASE("forked seeds differ by stream and by index, and repeat for the same pair") {
  CHECK(fork_seed(1, 2, 3) == fork_seed(1, 2, 3));
  CHECK(fork_seed(1, 2, 3) != fork_seed(1, 2, 4));
  CHECK(fork_seed(1, 2, 3) != fork_seed(1, 3, 3));
  CHECK(fork_seed(1, 2, 3) != fork_seed(2, 2, 3));
}

TEST_CASE("a known-deviation list matches a finding by kind and rule, and refuses crashes") {
  const std::string path = "fuzz_test_known.txt";
  std::ofstream(path) << "# comment\ntolerated MQTT-3.3.1-2  # DUP on QoS 0\n\n"
                         "malformed-reply MQTT-5.0 §3.3.2.3.2\n";
  std::string error;
  const auto known = load_known(path, error);
  REQUIRE(known);
  std::vector<Finding> findings(4);
  findings[0].kind = FindingKind::tolerated;
  findings[0].rule = "MQTT-3.3.1-2";
  findings[1].kind = FindingKind::forwarded;  // same rule, other kind
  findings[1].rule = "MQTT-3.3.1-2";
  findings[2].kind = FindingKind::malformed_reply;
  findings[2].rule = "MQTT-5.0 §3.3.2.3.2";
  findings[3].kind = FindingKind::tolerated;  // no rule: nothing rejected
  CHECK(mark_known(*known, findings) == 2);
  CHECK_FALSE(findings[0].known.empty());
  CHECK(findings[1].known.empty());
  CHECK_FALSE(findings[2].known.empty());
  CHECK(findings[3].known.empty());
  std::ofstream(path) << "crash MQTT-3.3.1-4\n";
  CHECK_FALSE(load_known(path, error));
  CHECK(error.find("never a known deviation") != std::string::npos);
  std::remove(path.c_str());
}

std::vector<CaseDigest> in_process_run(std::uint64_t seed, protocol::Version v) {
  auto target = make_in_process_target({});
  FuzzOptions options;
  options.version = v;
  options.seed = seed;
  options.max_cases = 150;
  options.time_s = 600;
  const FuzzResult result = run_fuzz(*target, options);
  CHECK(result.findings.empty());
  CHECK(result.case_log.size() == 150);
  return result.case_log;
}

std::vector<std::uint64_t> digests(const std::vector<CaseDigest>& log) {
  std::vector<std::uint64_t> out;
  for (const auto& c : log) out.push_back(c.digest);
  return out;
}

TEST_CASE("a run against BrokerCore in-process repeats case by case for one seed, not another") {
  for (const auto v : {protocol::Version::v3_1_1, protocol::Version::v5}) {
    const auto first = digests(in_process_run(11, v));
    CHECK(first == digests(in_process_run(11, v)));
    CHECK(first != digests(in_process_run(12, v)));
  }
}

}  // namespace
}  // namespace mqttsim::conformance::fuzz
