// XXH64 (xxHash, 64-bit, by Yann Collet; the published spec, frozen since 2014), streaming.
// The trace digest and packet-byte digests use it: a fixed, documented function of the bytes,
// so a digest means the same on every platform, build type and version of this program.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mqttsim::sim {

class Xxh64 {
 public:
  explicit Xxh64(std::uint64_t seed = 0);

  void update(const void* data, std::size_t size_bytes);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // XXH64 of everything fed so far; the state is not consumed, feeding can go on.
  std::uint64_t digest() const;

 private:
  std::uint64_t seed_;
  std::uint64_t lanes_[4];
  std::uint64_t total_bytes_ = 0;
  unsigned char stripe_[32];
  std::size_t buffered_bytes_ = 0;
};

// One-shot XXH64 with seed 0; equals `xxhsum -H1` of the same bytes.
std::uint64_t xxh64(const void* data, std::size_t size_bytes);

}  // namespace mqttsim::sim
