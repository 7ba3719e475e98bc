// The hash tables behind the subscription index. Both use linear probing over a power-of-two
// array and backward-shift deletion, so a lookup touches one or two adjacent slots and erasing
// leaves no tombstones behind.
#include "protocol/flat_tables.hpp"

#include <cassert>
#include <cstring>
#include <utility>

namespace mqttsim::protocol::detail {
namespace {

constexpr std::uint64_t kMultiplier = 0x9E3779B97F4A7C15ULL;  // 2^64 / golden ratio

constexpr std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ULL;
  h ^= h >> 32;
  return h;
}

constexpr std::size_t kMinSlots = 16;

// Grow when the table would pass 3/4 full: linear probing stays short below that.
bool too_full(std::size_t size, std::size_t slots) {
  return (size + 1) * 4 > slots * 3;
}

std::uint32_t short_hash(std::string_view text) {
  const std::uint64_t h = hash_bytes(text);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

}  // namespace

std::uint64_t hash_bytes(std::string_view bytes) {
  std::uint64_t h = bytes.size() * kMultiplier;
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * kMultiplier;
    h ^= h >> 29;
  }
  if (n > 0) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, n);
    h = (h ^ word) * kMultiplier;
  }
  return mix(h);
}

// ---- FlatIdMap ----

std::size_t FlatIdMap::home(std::uint64_t key) const {
  return static_cast<std::size_t>(((key ^ (key >> 29)) * kMultiplier) >> shift_);
}

std::uint32_t FlatIdMap::find(std::uint64_t key) const {
  if (slots_.empty()) return kNoId;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(key);; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.value == kNoId) return kNoId;
    if (slot.key() == key) return slot.value;
  }
}

void FlatIdMap::insert(std::uint64_t key, std::uint32_t value) {
  assert(value != kNoId && find(key) == kNoId);
  if (too_full(size_, slots_.size())) grow();
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(key);
  while (slots_[i].value != kNoId) i = (i + 1) & mask;
  slots_[i] = Slot{static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32), value};
  ++size_;
}

bool FlatIdMap::erase(std::uint64_t key) {
  if (slots_.empty()) return false;
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = home(key);
  while (slots_[hole].value != kNoId && slots_[hole].key() != key) hole = (hole + 1) & mask;
  if (slots_[hole].value == kNoId) return false;
  // Backward shift: pull later members of the probe run into the hole when their home slot
  // does not lie cyclically in (hole, j].
  for (std::size_t j = (hole + 1) & mask; slots_[j].value != kNoId; j = (j + 1) & mask) {
    const std::size_t h = home(slots_[j].key());
    const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = Slot{};
  --size_;
  return true;
}

void FlatIdMap::grow() {
  std::vector<Slot> old = std::exchange(slots_, {});
  const std::size_t capacity = old.empty() ? kMinSlots : old.size() * 2;
  slots_.assign(capacity, Slot{});
  shift_ = 64;
  for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
  const std::size_t mask = capacity - 1;
  for (const Slot& slot : old) {
    if (slot.value == kNoId) continue;
    std::size_t i = home(slot.key());
    while (slots_[i].value != kNoId) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void FlatIdMap::clear() {
  slots_.clear();
  slots_.shrink_to_fit();
  size_ = 0;
  shift_ = 64;
}

// ---- StringTable ----

std::uint32_t StringTable::find_hashed(std::string_view text, std::uint32_t hash) const {
  if (slots_.empty()) return kNoId;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id == kNoId) return kNoId;
    if (slot.hash == hash && entries_[slot.id].text == text) return slot.id;
  }
}

std::uint32_t StringTable::find(std::string_view text) const {
  return find_hashed(text, short_hash(text));
}

std::uint32_t StringTable::acquire(std::string_view text) {
  const std::uint32_t hash = short_hash(text);
  std::uint32_t id = find_hashed(text, hash);
  if (id == kNoId) {
    if (too_full(size_, slots_.size())) grow();
    id = entries_.allocate();
    entries_[id] = Entry{std::string(text), hash, 0};
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash & mask;
    while (slots_[i].id != kNoId) i = (i + 1) & mask;
    slots_[i] = Slot{hash, id};
    ++size_;
  }
  ++entries_[id].refs;
  return id;
}

void StringTable::release(std::uint32_t id) {
  Entry& entry = entries_[id];
  assert(entry.refs > 0);
  if (--entry.refs > 0) return;
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = entry.hash & mask;
  while (slots_[hole].id != id) hole = (hole + 1) & mask;
  for (std::size_t j = (hole + 1) & mask; slots_[j].id != kNoId; j = (j + 1) & mask) {
    const std::size_t h = slots_[j].hash & mask;
    const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = Slot{};
  --size_;
  entries_.release(id);
}

void StringTable::grow() {
  std::vector<Slot> old = std::exchange(slots_, {});
  const std::size_t capacity = old.empty() ? kMinSlots : old.size() * 2;
  slots_.assign(capacity, Slot{});
  const std::size_t mask = capacity - 1;
  for (const Slot& slot : old) {
    if (slot.id == kNoId) continue;
    std::size_t i = slot.hash & mask;
    while (slots_[i].id != kNoId) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void StringTable::clear() {
  entries_.clear();
  slots_.clear();
  slots_.shrink_to_fit();
  size_ = 0;
}

}  // namespace mqttsim::protocol::detail
