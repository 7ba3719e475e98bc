// `mqttsim bench codec`: prints codec throughput (median of repetitions). Further benchmarks
// (kernel, ...) join as their issues land.
#include <cstdio>

#include "cli/commands.hpp"
#include "protocol/bench/codec_bench.hpp"

namespace mqttsim::cli {
namespace {

void print_line(const char* what, const protocol::bench::Throughput& t) {
  std::printf("%-7s %8.2f M packets/s  %8.1f MB/s   (min %.2f, max %.2f M packets/s)\n", what,
              t.median_packets_per_s / 1e6, t.median_mb_per_s, t.min_packets_per_s / 1e6,
              t.max_packets_per_s / 1e6);
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks that print figures");
  bench->require_subcommand(1);
  auto options = std::make_shared<protocol::bench::CodecBenchOptions>();
  CLI::App* codec = bench->add_subcommand(
      "codec", "Decode/encode throughput on identical QoS 1 PUBLISH packets (3.1.1, 95 bytes)");
  codec->add_option("--packets", options->packets, "Packets per repetition")
      ->check(CLI::Range(1, 100'000'000));
  codec->add_option("--reps", options->repetitions, "Repetitions; the median is reported")
      ->check(CLI::Range(1, 1000));
  codec->add_option("--chunk", options->chunk_bytes, "Bytes fed to the stream decoder at a time")
      ->check(CLI::Range(1, 1 << 24));
  codec->add_option("--write-stream", options->stream_path,
                    "Also write the encoded packet stream to this file (for peer benchmarks)");
  codec->callback([options, &exit_code] {
    const auto result = protocol::bench::run_codec_bench(*options);
    std::printf(
        "codec bench: %zu QoS 1 PUBLISH packets of %zu bytes (MQTT 3.1.1), %zu reps, "
        "median reported, one core\n",
        result.packets, result.packet_size_bytes, options->repetitions);
    print_line("decode", result.decode);
    print_line("encode", result.encode);
    exit_code = kExitOk;
  });
}

}  // namespace mqttsim::cli
