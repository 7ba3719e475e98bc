// `mqttsim bench codec|kernel|routing|broker|tcp|fleet`: print codec throughput, simulation-kernel
// event rates (median of repetitions), the TCP model's speed, and the fleet-10k simulation's
// speed and memory.
#include <cstdio>

#include "cli/commands.hpp"
#include "protocol/bench/codec_bench.hpp"
#include "protocol/bench/routing_bench.hpp"
#include "sim/bench/fleet_bench.hpp"
#include "sim/bench/kernel_bench.hpp"
#include "sim/bench/net_bench.hpp"

namespace mqttsim::cli {
namespace {

void print_line(const char* what, const protocol::bench::Throughput& t) {
  std::printf("%-7s %8.2f M packets/s  %8.1f MB/s   (min %.2f, max %.2f M packets/s)\n", what,
              t.median_packets_per_s / 1e6, t.median_mb_per_s, t.min_packets_per_s / 1e6,
              t.max_packets_per_s / 1e6);
}

void add_kernel_bench(CLI::App& bench, int& exit_code) {
  auto options = std::make_shared<sim::bench::KernelBenchOptions>();
  CLI::App* kernel = bench.add_subcommand(
      "kernel", "Event-queue hold model: N pending, each event reschedules at +U(1 ns, 2 ms)");
  kernel->add_option("--pending", options->pending, "Events pending at all times (N)")
      ->check(CLI::Range(1, 10'000'000));
  kernel->add_option("--events", options->events, "Events fired per repetition (M)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000'000}));
  kernel->add_option("--reps", options->repetitions, "Repetitions; the median is reported")
      ->check(CLI::Range(1, 1000));
  kernel->add_option("--seed", options->seed, "Seed of the delay stream");
  kernel->callback([options, &exit_code] {
    const auto result = sim::bench::run_kernel_bench(*options);
    std::printf(
        "kernel bench: hold model, %zu pending, %llu events per rep, %zu reps, median "
        "reported, one core\n",
        options->pending, static_cast<unsigned long long>(options->events), options->repetitions);
    std::printf("hold    %8.2f M events/s   (min %.2f, max %.2f M events/s)\n",
                result.median_events_per_s / 1e6, result.min_events_per_s / 1e6,
                result.max_events_per_s / 1e6);
    exit_code = kExitOk;
  });
}

void add_tcp_bench(CLI::App& bench, int& exit_code) {
  auto options = std::make_shared<sim::bench::TcpBenchOptions>();
  CLI::App* tcp = bench.add_subcommand(
      "tcp", "TCP model: N clients on lossy wifi links write to one broker, which replies");
  tcp->add_option("--connections", options->connections, "Clients, one connection each")
      ->check(CLI::Range(1, 1'000'000));
  tcp->add_option("--bytes", options->message_bytes, "Bytes per client write")
      ->check(CLI::Range(1, 1'000'000));
  tcp->add_option("--period", options->period_s, "Seconds between a client's writes")
      ->check(CLI::Range(0.001, 1e6));
  tcp->add_option("--duration", options->duration_s, "Virtual seconds to run")
      ->check(CLI::Range(0.001, 1e7));
  tcp->add_option("--loss", options->loss, "Bernoulli loss per link and packet")
      ->check(CLI::Range(0.0, 0.9));
  tcp->add_option("--seed", options->seed, "Scenario seed");
  tcp->callback([options, &exit_code] {
    const auto r = sim::bench::run_tcp_bench(*options);
    const double n = static_cast<double>(options->connections);
    std::printf("tcp bench: %zu connections, %lld B every %.1f s, %.0f virtual s, loss %.3f\n",
                options->connections, static_cast<long long>(options->message_bytes),
                options->period_s, options->duration_s, options->loss);
    std::printf(
        "setup %.2f s wall (topology, routes, handshakes); heap %.1f MB (%.0f B per client, of "
        "which %.0f B from opening the connections: TCP state, routes, timers)\n",
        r.setup_wall_s, static_cast<double>(r.heap_bytes) / 1e6,
        static_cast<double>(r.heap_bytes) / n, static_cast<double>(r.tcp_heap_bytes) / n);
    std::printf(
        "run   %.2f s wall, %.1fx real time, %.2f M events/s, %llu segments, %llu "
        "retransmits, %llu broken, %.1f MB delivered\n",
        r.run_wall_s, options->duration_s / r.run_wall_s,
        static_cast<double>(r.events) / r.run_wall_s / 1e6,
        static_cast<unsigned long long>(r.segments), static_cast<unsigned long long>(r.retransmits),
        static_cast<unsigned long long>(r.broken), static_cast<double>(r.bytes_delivered) / 1e6);
    exit_code = kExitOk;
  });
}

void add_routing_bench(CLI::App& bench, int& exit_code) {
  auto options = std::make_shared<protocol::bench::RoutingBenchOptions>();
  CLI::App* routing = bench.add_subcommand(
      "routing", "Subscription index: 100k subscriptions, fan-out 1/10/1000, 1M distinct topics");
  routing->add_option("--publishes", options->publishes, "Publishes per repetition")
      ->check(CLI::Range(100, 100'000'000));
  routing->add_option("--reps", options->repetitions, "Repetitions; the median is reported")
      ->check(CLI::Range(1, 1000));
  routing->add_flag("!--no-distinct", options->distinct_topics, "Skip the 1M distinct topics");
  routing->callback([options, &exit_code] {
    const auto r = protocol::bench::run_routing_bench(*options);
    std::printf(
        "routing bench: %zu subscriptions (%zu exact, %zu wildcard) of %zu subscribers, %zu trie "
        "nodes, built in %.0f ms; %zu reps, median reported, one core\n",
        r.subscriptions, r.exact_subscriptions, r.subscriptions - r.exact_subscriptions,
        r.subscribers, r.trie_nodes, r.build_s * 1e3, options->repetitions);
    if (r.index_bytes > 0) {  // 0 when the allocator cannot say (not glibc, or a sanitizer)
      std::printf("index memory %.1f MB (%.0f bytes/subscription)\n",
                  static_cast<double>(r.index_bytes) / 1e6,
                  static_cast<double>(r.index_bytes) / static_cast<double>(r.subscriptions));
    }
    auto line = [](const char* what, const protocol::bench::RoutingFigures& f) {
      std::printf("%-18s %8.2f M matches/s %8.2f M publishes/s  (min %.2f, max %.2f M matches/s)\n",
                  what, f.median_matches_per_s / 1e6, f.median_publishes_per_s / 1e6,
                  f.min_matches_per_s / 1e6, f.max_matches_per_s / 1e6);
    };
    for (const auto& f : r.fanouts) {
      line(("fan-out " + std::to_string(f.fanout)).c_str(), f);
    }
    if (options->distinct_topics) line("1M distinct topics", r.distinct);
    exit_code = kExitOk;
  });
}

void print_fleet(const sim::bench::FleetBenchOptions& o, const sim::bench::FleetBenchResult& r) {
  std::printf(
      "fleet bench: %zu devices (QoS 1 every %.0f s, %zu-byte payload) + %zu wildcard "
      "subscribers, wifi links with %.1f%% loss, TCP model, %.0f s virtual, seed %llu, one core\n",
      o.clients, o.publish_interval_s, o.payload_bytes, o.subscribers, o.loss_p * 100, o.duration_s,
      static_cast<unsigned long long>(o.seed));
  std::printf("wall    %.2f s run (+ %.2f s setup)   virtual/wall %.1fx\n", r.run_wall_s,
              r.setup_wall_s, r.virtual_per_wall);
  std::printf("cpu     %.2f s run   virtual/cpu %.1fx   (wall exceeds cpu on a shared machine)\n",
              r.run_cpu_s, r.virtual_per_cpu);
  std::printf("events  %llu   %.2f M events/s wall, %.2f M events/cpu-s\n",
              static_cast<unsigned long long>(r.events), r.events_per_s / 1e6,
              r.events_per_cpu_s / 1e6);
  std::printf("memory  peak RSS %.1f MB   %.0f bytes/client at setup, %.0f bytes/client at peak\n",
              static_cast<double>(r.peak_rss_bytes) / 1e6, r.bytes_per_client,
              r.peak_bytes_per_client);
  std::printf(
      "qos 1   sent %llu  acked %llu  delivered %llu  lost %llu  duplicated %llu  latency p50 "
      "%.1f ms  p99 %.1f ms (messages older than 60 s)\n",
      static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.acked),
      static_cast<unsigned long long>(r.delivered), static_cast<unsigned long long>(r.lost),
      static_cast<unsigned long long>(r.duplicated), r.latency_p50_ms, r.latency_p99_ms);
  std::printf(
      "wire    %llu MQTT packets, %.1f MB; %llu TCP segments, %llu retransmits, %llu breaks\n",
      static_cast<unsigned long long>(r.mqtt_packets), static_cast<double>(r.mqtt_bytes) / 1e6,
      static_cast<unsigned long long>(r.tcp_segments),
      static_cast<unsigned long long>(r.tcp_retransmits),
      static_cast<unsigned long long>(r.tcp_breaks));
  std::printf("digest  %016llx\n", static_cast<unsigned long long>(r.trace_digest));
}

void add_fleet_bench(CLI::App& bench, int& exit_code) {
  auto options = std::make_shared<sim::bench::FleetBenchOptions>();
  CLI::App* fleet = bench.add_subcommand(
      "fleet", "fleet-10k: devices publishing QoS 1 over lossy wifi through the TCP model");
  fleet->add_option("--clients", options->clients, "Publishing devices")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  fleet->add_option("--subscribers", options->subscribers, "Wildcard subscribers")
      ->check(CLI::Range(std::size_t{0}, std::size_t{10'000}));
  fleet->add_option("--duration-s", options->duration_s, "Virtual seconds to simulate")
      ->check(CLI::Range(1.0, 1e7));
  fleet->add_option("--loss", options->loss_p, "Loss probability on every link")
      ->check(CLI::Range(0.0, 0.5));
  fleet->add_option("--seed", options->seed, "Scenario seed");
  fleet->callback([options, &exit_code] {
    print_fleet(*options, sim::bench::run_fleet_bench(*options));
    exit_code = kExitOk;
  });
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks that print figures");
  bench->require_subcommand(1);
  add_routing_bench(*bench, exit_code);
  add_kernel_bench(*bench, exit_code);
  add_tcp_bench(*bench, exit_code);
  add_fleet_bench(*bench, exit_code);
  add_broker_bench(*bench, exit_code);
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
