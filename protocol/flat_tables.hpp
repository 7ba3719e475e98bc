// Compact containers behind the subscription index and the broker's connections: a chunked
// pool addressed by 32-bit ids, a vector with one inline slot, an open-addressing id map, records
// keyed by 64-bit ids, and a table of interned strings. No lookup ever iterates a table, so hash
// order cannot leak into results.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mqttsim::protocol::detail {

inline constexpr std::uint32_t kNoId = 0xFFFFFFFFu;

// A deterministic 64-bit hash of bytes (no per-process seed: the same input hashes the same in
// every run, which keeps probe sequences, and so timings, reproducible).
std::uint64_t hash_bytes(std::string_view bytes);

// Records of type T addressed by dense 32-bit ids. Storage grows in fixed chunks, so growth
// never copies records or doubles the footprint, and a record's address is stable while it
// lives. Released ids are reused last-in first-out, which is deterministic.
template <typename T>
class ChunkedPool {
 public:
  static constexpr std::uint32_t kChunkBits = 10;
  static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;

  std::uint32_t allocate() {
    ++live_;
    if (!free_.empty()) {
      const std::uint32_t id = free_.back();
      free_.pop_back();
      return id;
    }
    if (end_ == chunks_.size() * kChunkSize) chunks_.push_back(std::make_unique<T[]>(kChunkSize));
    return end_++;
  }
  // Resets the record (freeing what it owns) and makes its id available again.
  void release(std::uint32_t id) {
    (*this)[id] = T{};
    free_.push_back(id);
    --live_;
  }
  T& operator[](std::uint32_t id) { return chunks_[id >> kChunkBits][id & (kChunkSize - 1)]; }
  const T& operator[](std::uint32_t id) const {
    return chunks_[id >> kChunkBits][id & (kChunkSize - 1)];
  }
  std::size_t live() const { return live_; }
  void clear() {
    chunks_.clear();
    free_.clear();
    end_ = 0;
    live_ = 0;
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::vector<std::uint32_t> free_;
  std::uint32_t end_ = 0;
  std::size_t live_ = 0;
};

// A vector of trivially copyable T that holds one element without allocating: most filters
// have a single subscriber and most subscribers a single subscription, and a heap block per
// one-element list would double the index's footprint.
template <typename T>
class InlineVector {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  InlineVector() = default;
  InlineVector(InlineVector&& other) noexcept { take(other); }
  InlineVector& operator=(InlineVector&& other) noexcept {
    if (this != &other) {
      free_heap();
      take(other);
    }
    return *this;
  }
  InlineVector(const InlineVector&) = delete;
  InlineVector& operator=(const InlineVector&) = delete;
  ~InlineVector() { free_heap(); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }

  void insert(const T* position, const T& value) {
    const auto at = static_cast<std::size_t>(position - begin());
    if (size_ == capacity_) grow();
    T* d = data();
    std::memmove(static_cast<void*>(d + at + 1), d + at, (size_ - at) * sizeof(T));
    d[at] = value;
    ++size_;
  }
  void push_back(const T& value) { insert(end(), value); }
  void erase(const T* position) {
    const auto at = static_cast<std::size_t>(position - begin());
    T* d = data();
    std::memmove(static_cast<void*>(d + at), d + at + 1, (size_ - at - 1) * sizeof(T));
    --size_;
  }

 private:
  T* data() { return capacity_ == 1 ? &storage_.value : storage_.heap; }
  const T* data() const { return capacity_ == 1 ? &storage_.value : storage_.heap; }
  void grow() {
    const std::uint32_t capacity = capacity_ * 2;
    T* fresh = new T[capacity];
    std::memcpy(static_cast<void*>(fresh), data(), size_ * sizeof(T));
    if (capacity_ > 1) delete[] storage_.heap;
    storage_.heap = fresh;
    capacity_ = capacity;
  }
  void free_heap() {
    if (capacity_ > 1) delete[] storage_.heap;
    capacity_ = 1;
    size_ = 0;
  }
  void take(InlineVector& other) {
    size_ = other.size_;
    capacity_ = other.capacity_;
    storage_ = other.storage_;  // a trivial copy of whichever member is active
    other.size_ = 0;
    other.capacity_ = 1;
  }

  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 1;  // 1: the element lives in storage_.value
  union Storage {
    Storage() : heap(nullptr) {}
    T* heap;
    T value;
  } storage_;
};

// Open addressing with linear probing and backward-shift deletion (no tombstones, so heavy
// subscribe/unsubscribe churn never degrades lookups). Keys are 64-bit, values 32-bit ids;
// a slot is 12 bytes and the table stays between 3/8 and 3/4 full.
class FlatIdMap {
 public:
  std::uint32_t find(std::uint64_t key) const;          // kNoId when absent
  void insert(std::uint64_t key, std::uint32_t value);  // the key must be absent
  bool erase(std::uint64_t key);
  std::size_t size() const { return size_; }
  void clear();

 private:
  struct Slot {
    std::uint32_t key_low = 0;
    std::uint32_t key_high = 0;
    std::uint32_t value = kNoId;
    std::uint64_t key() const { return (std::uint64_t{key_high} << 32) | key_low; }
  };
  std::size_t home(std::uint64_t key) const;
  void grow();

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  unsigned shift_ = 64;
};

// Records of T keyed by 64-bit ids (a broker's connections): a lookup is one probe of a flat
// index and one of a dense vector, where a std::map walks a dozen cold tree nodes. A record
// stays put while it lives. The walk, for the rare whole-table pass, goes in key order, so hash
// order never shows in behaviour.
template <typename T>
class KeyedRecords {
 public:
  T* find(std::uint64_t key) {
    const std::uint32_t i = index_.find(key);
    return i == kNoId ? nullptr : slots_[i].record.get();
  }
  // The record of `key`, made from `args` when absent; second: whether it was made.
  template <typename... Args>
  std::pair<T*, bool> try_emplace(std::uint64_t key, Args&&... args) {
    if (T* found = find(key)) return {found, false};
    auto record = std::make_unique<T>(std::forward<Args>(args)...);
    if (free_.empty()) {
      slots_.emplace_back();
      free_.push_back(static_cast<std::uint32_t>(slots_.size() - 1));
    }
    const std::uint32_t i = free_.back();
    index_.insert(key, i);  // may throw; the slot then stays free
    free_.pop_back();
    slots_[i] = Slot{key, std::move(record)};
    return {slots_[i].record.get(), true};
  }
  bool erase(std::uint64_t key) {
    const std::uint32_t i = index_.find(key);
    if (i == kNoId) return false;
    index_.erase(key);
    // Detached first: T's destructor must not see itself still listed.
    const std::unique_ptr<T> gone = std::move(slots_[i].record);
    free_.push_back(i);
    return true;
  }
  std::size_t size() const { return index_.size(); }
  bool empty() const { return size() == 0; }
  void clear() {
    index_.clear();
    slots_.clear();
    free_.clear();
  }
  // The live keys in ascending order.
  std::vector<std::uint64_t> sorted_keys() const {
    std::vector<std::uint64_t> keys;
    keys.reserve(size());
    for (const Slot& slot : slots_) {
      if (slot.record) keys.push_back(slot.key);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::unique_ptr<T> record;
  };
  FlatIdMap index_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
};

// Interned strings (topic levels and share names) with reference counts: each distinct level
// text is stored once however many trie nodes use it, and a level of a published topic that no
// filter mentions is rejected by one failed lookup.
class StringTable {
 public:
  std::uint32_t find(std::string_view text) const;  // kNoId when absent
  std::uint32_t acquire(std::string_view text);     // finds or adds; one more reference
  void release(std::uint32_t id);                   // one reference less; erased at zero
  std::string_view text(std::uint32_t id) const { return entries_[id].text; }
  std::size_t size() const { return entries_.live(); }
  void clear();

 private:
  struct Entry {
    std::string text;
    std::uint32_t hash = 0;
    std::uint32_t refs = 0;
  };
  struct Slot {
    std::uint32_t hash = 0;
    std::uint32_t id = kNoId;
  };
  std::uint32_t find_hashed(std::string_view text, std::uint32_t hash) const;
  void grow();

  ChunkedPool<Entry> entries_;
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace mqttsim::protocol::detail
