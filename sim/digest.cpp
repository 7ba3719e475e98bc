// XXH64 exactly as specified in xxHash's doc/xxhash_spec.md: four accumulator lanes over
// 32-byte stripes, little-endian reads, then the tail and the avalanche. Checked in the tests
// against vectors from the reference `xxhsum -H1`.
#include "sim/digest.hpp"

#include <bit>
#include <cstring>

namespace mqttsim::sim {
namespace {

constexpr std::uint64_t kPrime1 = 0x9E3779B185EBCA87ull;
constexpr std::uint64_t kPrime2 = 0xC2B2AE3D27D4EB4Full;
constexpr std::uint64_t kPrime3 = 0x165667B19E3779F9ull;
constexpr std::uint64_t kPrime4 = 0x85EBCA77C2B2AE63ull;
constexpr std::uint64_t kPrime5 = 0x27D4EB2F165667C5ull;

std::uint64_t read_le64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

std::uint32_t read_le32(const unsigned char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

std::uint64_t round(std::uint64_t acc, std::uint64_t input) {
  acc += input * kPrime2;
  acc = std::rotl(acc, 31);
  return acc * kPrime1;
}

std::uint64_t merge_round(std::uint64_t acc, std::uint64_t lane) {
  acc ^= round(0, lane);
  return acc * kPrime1 + kPrime4;
}

void consume_stripe(std::uint64_t (&lanes)[4], const unsigned char* stripe) {
  for (int i = 0; i < 4; ++i) lanes[i] = round(lanes[i], read_le64(stripe + 8 * i));
}

}  // namespace

Xxh64::Xxh64(std::uint64_t seed)
    : seed_(seed), lanes_{seed + kPrime1 + kPrime2, seed + kPrime2, seed, seed - kPrime1} {}

void Xxh64::update(const void* data, std::size_t size_bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  total_bytes_ += size_bytes;
  if (buffered_bytes_ + size_bytes < sizeof stripe_) {
    if (size_bytes > 0) std::memcpy(stripe_ + buffered_bytes_, p, size_bytes);
    buffered_bytes_ += size_bytes;
    return;
  }
  if (buffered_bytes_ > 0) {
    const std::size_t fill = sizeof stripe_ - buffered_bytes_;
    std::memcpy(stripe_ + buffered_bytes_, p, fill);
    consume_stripe(lanes_, stripe_);
    p += fill;
    size_bytes -= fill;
    buffered_bytes_ = 0;
  }
  // The lanes in locals: `p` is a char pointer, which may alias the members, so a loop over
  // lanes_ itself would store and reload them for every stripe.
  std::uint64_t lanes[4] = {lanes_[0], lanes_[1], lanes_[2], lanes_[3]};
  for (; size_bytes >= sizeof stripe_; p += sizeof stripe_, size_bytes -= sizeof stripe_) {
    consume_stripe(lanes, p);
  }
  for (int i = 0; i < 4; ++i) lanes_[i] = lanes[i];
  if (size_bytes > 0) std::memcpy(stripe_, p, size_bytes);
  buffered_bytes_ = size_bytes;
}

std::uint64_t Xxh64::digest() const {
  std::uint64_t h;
  if (total_bytes_ >= sizeof stripe_) {
    h = std::rotl(lanes_[0], 1) + std::rotl(lanes_[1], 7) + std::rotl(lanes_[2], 12) +
        std::rotl(lanes_[3], 18);
    for (std::uint64_t lane : lanes_) h = merge_round(h, lane);
  } else {
    h = seed_ + kPrime5;
  }
  h += total_bytes_;
  const unsigned char* p = stripe_;
  std::size_t left = buffered_bytes_;
  for (; left >= 8; p += 8, left -= 8) {
    h ^= round(0, read_le64(p));
    h = std::rotl(h, 27) * kPrime1 + kPrime4;
  }
  if (left >= 4) {
    h ^= static_cast<std::uint64_t>(read_le32(p)) * kPrime1;
    h = std::rotl(h, 23) * kPrime2 + kPrime3;
    p += 4;
    left -= 4;
  }
  for (; left > 0; ++p, --left) {
    h ^= *p * kPrime5;
    h = std::rotl(h, 11) * kPrime1;
  }
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

std::uint64_t xxh64(const void* data, std::size_t size_bytes) {
  Xxh64 hasher;
  hasher.update(data, size_bytes);
  return hasher.digest();
}

}  // namespace mqttsim::sim
