// The subcommands of `mqttsim`. Each registers its options on the CLI11 app and returns the
// process exit code through the callback. Exit codes: 0 success, 1 the input or the run
// failed (malformed packet, failed expectation), 2 bad usage, 3 not built yet.
#pragma once

#include <CLI/CLI.hpp>

namespace mqttsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotBuilt = 3;

// Each add_* function registers a subcommand; `exit_code` receives its result.
void add_decode_command(CLI::App& app, int& exit_code);
void add_encode_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_broker_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);
void add_conform_command(CLI::App& app, int& exit_code);
void add_check_command(CLI::App& app, int& exit_code);
void add_fuzz_command(CLI::App& app, int& exit_code);
void add_broker_bench(CLI::App& bench, int& exit_code);  // a `bench` subcommand

}  // namespace mqttsim::cli
