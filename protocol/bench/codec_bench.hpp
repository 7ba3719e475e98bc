// The codec benchmark behind `mqttsim bench codec`: decode and encode throughput on a stream
// of identical QoS 1 PUBLISH packets, full validation on. A benchmark, not a test: it prints
// figures and asserts only that every packet decoded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/types.hpp"

namespace mqttsim::protocol::bench {

struct CodecBenchOptions {
  std::size_t packets = 1'000'000;
  std::size_t repetitions = 7;          // the median of these is reported
  std::size_t chunk_bytes = 64 * 1024;  // fed to the stream decoder like socket reads
  Version version = Version::v3_1_1;
  std::string stream_path;  // if set, the encoded stream is also written here (for peers)
};

struct Throughput {
  double median_packets_per_s = 0;
  double median_mb_per_s = 0;  // 10^6 bytes
  double min_packets_per_s = 0;
  double max_packets_per_s = 0;
};

struct CodecBenchResult {
  std::size_t packet_size_bytes = 0;
  std::size_t packets = 0;
  Throughput decode;  // StreamDecoder, chunked input, every packet fully validated
  Throughput encode;  // validate + encode into one growing buffer
};

CodecBenchResult run_codec_bench(const CodecBenchOptions& options);

}  // namespace mqttsim::protocol::bench
