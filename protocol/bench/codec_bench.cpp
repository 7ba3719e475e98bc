// Codec throughput on 1M identical QoS 1 PUBLISH packets (topic plant/line-07/sensor/temp,
// 64-byte payload: 95 bytes each under 3.1.1). Wall-clock time is fine here: benchmarks are
// not part of the deterministic core.
#include "protocol/bench/codec_bench.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <stdexcept>

#include "protocol/codec.hpp"

namespace mqttsim::protocol::bench {
namespace {

Publish sample_publish() {
  static const std::string payload =
      R"({"device":"TempSensor-0042","temperature_c":21.75,"seq":1234567})";  // 64 bytes
  Publish p;
  p.qos = QoS::at_least_once;
  p.packet_id = 4242;
  p.topic = "plant/line-07/sensor/temp";
  p.payload = ByteView::of(payload);
  return p;
}

Throughput summarize(std::vector<double> seconds, std::size_t packets, std::size_t bytes) {
  std::sort(seconds.begin(), seconds.end());
  const double median = seconds[seconds.size() / 2];
  const auto n = static_cast<double>(packets);
  return {n / median, static_cast<double>(bytes) / median / 1e6, n / seconds.back(),
          n / seconds.front()};
}

double time_decode(const std::vector<std::uint8_t>& stream, const CodecBenchOptions& o) {
  StreamOptions options;
  options.version = o.version;
  StreamDecoder decoder(options);
  Packet packet;
  std::size_t decoded = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t at = 0; at < stream.size(); at += o.chunk_bytes) {
    const std::size_t n = std::min(o.chunk_bytes, stream.size() - at);
    decoder.feed(ByteView(stream.data() + at, n));
    StreamDecoder::Status status;
    while ((status = decoder.next(packet)) == StreamDecoder::Status::packet) ++decoded;
    if (status == StreamDecoder::Status::malformed) {
      throw std::runtime_error("bench stream failed to decode: " + decoder.error().reason);
    }
  }
  const auto stop = std::chrono::steady_clock::now();
  if (decoded != o.packets) throw std::runtime_error("bench decoded a wrong number of packets");
  return std::chrono::duration<double>(stop - start).count();
}

double time_encode(const Packet& packet, std::vector<std::uint8_t>& out,
                   const CodecBenchOptions& o) {
  out.clear();
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < o.packets; ++i) {
    if (encode(packet, o.version, Sender::client, out)) {
      throw std::runtime_error("bench packet failed to encode");
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

CodecBenchResult run_codec_bench(const CodecBenchOptions& o) {
  const Packet packet = sample_publish();
  std::vector<std::uint8_t> stream;
  stream.reserve(o.packets * 100);
  time_encode(packet, stream, o);  // also builds the decode input
  if (!o.stream_path.empty()) {
    std::ofstream out(o.stream_path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(stream.data()),
              static_cast<std::streamsize>(stream.size()));
    if (!out) throw std::runtime_error("cannot write " + o.stream_path);
  }
  CodecBenchResult result;
  result.packets = o.packets;
  result.packet_size_bytes = stream.size() / o.packets;
  std::vector<double> decode_s, encode_s;
  std::vector<std::uint8_t> scratch;
  scratch.reserve(stream.size());
  for (std::size_t r = 0; r < std::max<std::size_t>(1, o.repetitions); ++r) {
    decode_s.push_back(time_decode(stream, o));
    encode_s.push_back(time_encode(packet, scratch, o));
  }
  result.decode = summarize(decode_s, o.packets, stream.size());
  result.encode = summarize(encode_s, o.packets, stream.size());
  return result;
}

}  // namespace mqttsim::protocol::bench
