#include "cli/huge_pages.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace mqttsim::cli {
namespace {

constexpr const char* kTunable = "glibc.malloc.hugetlb";

bool sanitized_build() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

// "always" needs no advice and "never" ignores it: only madvise mode gains from the tunable.
bool kernel_thp_on_advice() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(in, modes);
  return modes.find("[madvise]") != std::string::npos;
}

}  // namespace

void reexec_with_huge_pages(char** argv) {
  if (sanitized_build()) return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const std::string current = tunables != nullptr ? tunables : "";
  if (current.find(kTunable) != std::string::npos) return;  // set by us or by the user
  // valgrind follows exec only with --trace-children=yes: re-executing would escape it.
  const char* preload = std::getenv("LD_PRELOAD");
  if (preload != nullptr && std::string(preload).find("vgpreload") != std::string::npos) return;
  if (!kernel_thp_on_advice()) return;
  const std::string value =
      current.empty() ? std::string(kTunable) + "=1" : current + ":" + kTunable + "=1";
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Still here: exec failed (no /proc, say). Run on with normal pages.
}

}  // namespace mqttsim::cli
