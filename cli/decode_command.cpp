// `mqttsim decode`: bytes (hex or a binary file) to JSON, with the reason and the normative
// statement for malformed input. With no input it decodes an embedded sample session, which
// is also the README's first demonstration.
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/hex.hpp"
#include "protocol/codec.hpp"
#include "protocol/lint.hpp"
#include "protocol/mqttsn.hpp"
#include "protocol/mqttsn_json.hpp"
#include "protocol/packet_json.hpp"

namespace mqttsim::cli {
namespace {

using json = nlohmann::ordered_json;
using namespace mqttsim::protocol;

// A TempSensor's 3.1.1 session as a client sends it: CONNECT (token credentials, a retained
// Will), SUBSCRIBE to its command topic, a QoS 1 JSON temperature event, PINGREQ, DISCONNECT.
constexpr const char* kSampleHex =
    "10 5b 00 04 4d 51 54 54 04 ee 00 3c 00 0f 54 65 6d 70 53 65 6e 73 6f 72 2d 30 30 34 32 00 "
    "1e 64 65 76 69 63 65 73 2f 54 65 6d 70 53 65 6e 73 6f 72 2d 30 30 34 32 2f 73 74 61 74 75 "
    "73 00 07 6f 66 66 6c 69 6e 65 00 06 64 65 76 69 63 65 00 0d 74 6f 6b 2d 33 66 39 61 2d 63 "
    "30 64 65 "
    "82 25 00 01 00 20 64 65 76 69 63 65 73 2f 54 65 6d 70 53 65 6e 73 6f 72 2d 30 30 34 32 2f "
    "63 6f 6d 6d 61 6e 64 73 01 "
    "32 3d 00 23 73 65 6e 73 6f 72 73 2f 54 65 6d 70 53 65 6e 73 6f 72 2d 30 30 34 32 2f 74 65 "
    "6d 70 65 72 61 74 75 72 65 00 02 7b 22 74 65 6d 70 65 72 61 74 75 72 65 5f 63 22 3a 32 31 "
    "2e 35 7d "
    "c0 00 "
    "e0 00";

struct DecodeArgs {
  std::vector<std::string> hex;
  std::string file;
  std::string version = "auto";
  std::string from = "client";
  bool sn = false;
  bool compact = false;
};

json decode_mqtt(const std::vector<std::uint8_t>& bytes, const DecodeArgs& args, bool& failed) {
  StreamOptions options;
  options.sender = args.from == "server" ? Sender::server : Sender::client;
  const bool starts_with_connect = !bytes.empty() && (bytes[0] >> 4) == 1;
  if (args.version != "auto") {
    options.version = parse_version(args.version);
  } else if (!starts_with_connect || options.sender == Sender::server) {
    options.version = Version::v3_1_1;  // nothing announces the version: assume the common one
  }
  StreamDecoder decoder(options);
  decoder.feed(ByteView(bytes.data(), bytes.size()));
  json packets = json::array();
  json out = {{"protocol", "MQTT"}, {"sender", args.from}};
  std::size_t offset = 0;
  Packet packet;
  StreamDecoder::Status status;
  while ((status = decoder.next(packet)) == StreamDecoder::Status::packet) {
    const Version v = *decoder.version();
    const std::size_t size = decoder.last_packet_bytes().size();
    json entry = {{"offset", offset}, {"size_bytes", size}, {"packet", to_json(packet, v)}};
    for (const Finding& f : lint(packet, v)) {
      entry["findings"].push_back(
          {{"field", f.field}, {"message", f.message}, {"spec_ref", f.spec_ref}});
    }
    packets.push_back(entry);
    offset += size;
  }
  out["version"] = version_name(decoder.version().value_or(Version::v3_1_1));
  out["packets"] = packets;
  if (status == StreamDecoder::Status::malformed) {
    json error = to_json(decoder.error());
    error["packet_offset"] = offset;
    out["error"] = error;
    failed = true;
  } else if (decoder.buffered_bytes() > 0) {
    out["error"] = {{"reason", std::to_string(decoder.buffered_bytes()) +
                                   " bytes of an incomplete packet at the end of the input"},
                    {"spec_ref", "MQTT-3.1.1 §2.2.3"},
                    {"packet_offset", offset}};
    failed = true;
  }
  return out;
}

json decode_sn(const std::vector<std::uint8_t>& bytes, bool& failed) {
  json out = {{"protocol", "MQTT-SN 1.2"}};
  const sn::DecodeResult result = sn::decode(ByteView(bytes.data(), bytes.size()));
  if (const auto* error = std::get_if<Malformed>(&result)) {
    out["error"] = to_json(*error);
    failed = true;
  } else {
    out["packet"] = sn::to_json(std::get<sn::Packet>(result));
  }
  return out;
}

int run_decode(const DecodeArgs& args) {
  std::vector<std::uint8_t> bytes;
  if (!args.file.empty()) {
    std::ifstream in(args.file, std::ios::binary);
    if (!in) {
      std::cerr << "mqttsim decode: cannot open --file " << args.file << "\n";
      return kExitUsage;
    }
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    std::string text;
    for (const std::string& part : args.hex) text += part;
    if (args.hex.empty() && !args.sn) {
      std::cerr << "mqttsim decode: no input given, decoding the embedded sample session\n";
      text = kSampleHex;
    }
    std::string error;
    if (!parse_hex(text, bytes, error)) {
      std::cerr << "mqttsim decode: HEX: " << error << "\n";
      return kExitUsage;
    }
  }
  bool failed = false;
  const json out = args.sn ? decode_sn(bytes, failed) : decode_mqtt(bytes, args, failed);
  std::cout << out.dump(args.compact ? -1 : 2) << "\n";
  return failed ? kExitFailed : kExitOk;
}

}  // namespace

void add_decode_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DecodeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "decode", "Decode MQTT bytes to JSON (every field; reason and spec statement if malformed)");
  cmd->add_option("hex", args->hex, "Packet bytes in hex; spaces and colons are ignored");
  cmd->add_option("--file", args->file, "Read raw bytes from a binary file instead")
      ->check(CLI::ExistingFile);
  cmd->add_option("--mqtt", args->version, "Protocol version: auto (from CONNECT), 3.1, 3.1.1, 5")
      ->check(CLI::IsMember({"auto", "3.1", "3.1.1", "5", "5.0"}));
  cmd->add_option("--from", args->from, "Who sent the bytes: client or server")
      ->check(CLI::IsMember({"client", "server"}));
  cmd->add_flag("--sn", args->sn, "Decode one MQTT-SN 1.2 datagram");
  cmd->add_flag("--compact", args->compact, "One-line JSON");
  cmd->callback([args, &exit_code] { exit_code = run_decode(*args); });
}

}  // namespace mqttsim::cli
