// `mqttsim encode`: JSON (as written by `mqttsim decode`) to bytes. The encoder validates
// first, so it refuses anything the strict decoder would reject, with the same spec refs.
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/hex.hpp"
#include "protocol/codec.hpp"
#include "protocol/mqttsn.hpp"
#include "protocol/mqttsn_json.hpp"
#include "protocol/packet_json.hpp"

namespace mqttsim::cli {
namespace {

using json = nlohmann::ordered_json;
using namespace mqttsim::protocol;

struct EncodeArgs {
  std::string input = "-";
  std::string version = "3.1.1";
  std::string from = "client";
  std::string output;
  bool sn = false;
};

// Accepts one packet, an array of packets, or decode's output ({"packets": [{"packet": ..}]}).
std::vector<json> packet_list(const json& doc) {
  if (doc.is_object() && doc.contains("packets")) {
    std::vector<json> out;
    for (const json& entry : doc["packets"]) out.push_back(entry.value("packet", entry));
    return out;
  }
  if (doc.is_object() && doc.contains("packet")) return {doc["packet"]};
  if (doc.is_array()) return {doc.begin(), doc.end()};
  return {doc};
}

bool encode_one(const json& j, std::size_t index, const EncodeArgs& args, Version& version,
                std::vector<std::uint8_t>& out) {
  const std::string where = "packet " + std::to_string(index);
  if (args.sn) {
    sn::JsonStorage storage;
    auto parsed = sn::from_json(j, storage);
    if (auto* error = std::get_if<std::string>(&parsed)) {
      std::cerr << "mqttsim encode: " << where << ": " << *error << "\n";
      return false;
    }
    if (auto error = sn::encode(std::get<sn::Packet>(parsed), out)) {
      std::cerr << "mqttsim encode: " << where << ": " << error->reason << " [" << error->spec_ref
                << "]\n";
      return false;
    }
    return true;
  }
  TextStore store;
  auto parsed = packet_from_json(j, version, store);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    std::cerr << "mqttsim encode: " << where << ": " << *error << "\n";
    return false;
  }
  const Packet& packet = std::get<Packet>(parsed);
  if (const auto* connect = std::get_if<Connect>(&packet)) version = connect->version;
  const Sender sender = args.from == "server" ? Sender::server : Sender::client;
  if (auto error = encode(packet, version, sender, out)) {
    std::cerr << "mqttsim encode: " << where << ": " << error->reason << " [" << error->spec_ref
              << "]\n";
    return false;
  }
  return true;
}

int run_encode(const EncodeArgs& args) {
  std::string text;
  if (args.input == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else if (!args.input.empty() && args.input[0] == '@') {
    std::ifstream in(args.input.substr(1));
    if (!in) {
      std::cerr << "mqttsim encode: cannot open " << args.input.substr(1) << "\n";
      return kExitUsage;
    }
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    text = args.input;
  }
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    std::cerr << "mqttsim encode: input is not valid JSON\n";
    return kExitUsage;
  }
  Version version = *parse_version(args.version);
  // decode's whole output names its version; it wins over the --mqtt default.
  if (doc.is_object() && doc.contains("version") && doc["version"].is_string() &&
      doc.contains("packets")) {
    if (auto v = parse_version(doc["version"].get<std::string>())) version = *v;
  }
  std::vector<std::uint8_t> bytes;
  const std::vector<json> packets = packet_list(doc);
  for (std::size_t i = 0; i < packets.size(); ++i) {
    if (!encode_one(packets[i], i, args, version, bytes)) return kExitFailed;
  }
  if (args.output.empty()) {
    std::cout << to_hex(bytes) << "\n";
  } else {
    std::ofstream out(args.output, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::cerr << "mqttsim encode: cannot write " << args.output << "\n";
      return kExitUsage;
    }
  }
  return kExitOk;
}

}  // namespace

void add_encode_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EncodeArgs>();
  CLI::App* cmd = app.add_subcommand("encode", "Encode JSON packets (decode's format) to bytes");
  cmd->add_option("json", args->input, "JSON text, @FILE, or - for standard input (default)");
  cmd->add_option("--mqtt", args->version, "Protocol version: 3.1, 3.1.1, 5 (a CONNECT's wins)")
      ->check(CLI::IsMember({"3.1", "3.1.1", "5", "5.0"}));
  cmd->add_option("--from", args->from, "Who sends the packets: client or server")
      ->check(CLI::IsMember({"client", "server"}));
  cmd->add_option("--out", args->output, "Write raw bytes to this file instead of hex to stdout");
  cmd->add_flag("--sn", args->sn, "Encode MQTT-SN 1.2 messages");
  cmd->callback([args, &exit_code] { exit_code = run_encode(*args); });
}

}  // namespace mqttsim::cli
