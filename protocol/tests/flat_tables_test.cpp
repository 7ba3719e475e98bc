// KeyedRecords (the broker's connection table) against std::map as the model: finds, erases,
// stable record addresses, and the key-ordered walk.
#include "protocol/flat_tables.hpp"

#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mqttsim::protocol::detail {
namespace {

struct Record {
  explicit Record(std::string value) : text(std::move(value)) {}
  std::string text;
};

}  // namespace

TEST_CASE("keyed records are found by key, made once, and keep their address until erased",
          "[flat_tables]") {
  KeyedRecords<Record> records;
  CHECK(records.find(7) == nullptr);
  auto [seven, made] = records.try_emplace(7, "seven");
  REQUIRE(made);
  CHECK(seven->text == "seven");
  auto [again, made_again] = records.try_emplace(7, "other");
  CHECK_FALSE(made_again);
  CHECK(again == seven);
  CHECK(again->text == "seven");
  // Many more records, so that the index and the slot vector grow: the first stays put.
  for (std::uint64_t key = 100; key < 5100; ++key) records.try_emplace(key, std::to_string(key));
  CHECK(records.find(7) == seven);
  CHECK(records.size() == 5001);
  CHECK(records.erase(7));
  CHECK_FALSE(records.erase(7));
  CHECK(records.find(7) == nullptr);
  CHECK(records.find(4321)->text == "4321");
  // A freed slot is reused by the next record.
  records.try_emplace(UINT64_MAX - 1, "high");
  CHECK(records.size() == 5001);
  CHECK(records.sorted_keys().front() == 100);
  CHECK(records.sorted_keys().back() == UINT64_MAX - 1);
  records.clear();
  CHECK(records.empty());
  CHECK(records.find(100) == nullptr);
}

TEST_CASE("keyed records agree with a std::map under random inserts and erases", "[flat_tables]") {
  rc::prop("same records and the same key order as the model", [] {
    const auto ops = *rc::gen::container<std::vector<std::pair<bool, std::uint8_t>>>(
        rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::arbitrary<std::uint8_t>()));
    KeyedRecords<Record> records;
    std::map<std::uint64_t, std::string> model;
    for (const auto& [insert, small_key] : ops) {
      // Keys spread over 64 bits, colliding often enough in their low bits to probe.
      const std::uint64_t key = std::uint64_t{small_key} * 0x0101010101010101ull;
      if (insert) {
        const bool made = records.try_emplace(key, std::to_string(small_key)).second;
        RC_ASSERT(made == model.emplace(key, std::to_string(small_key)).second);
      } else {
        RC_ASSERT(records.erase(key) == (model.erase(key) == 1));
      }
    }
    RC_ASSERT(records.size() == model.size());
    std::vector<std::uint64_t> keys;
    for (const auto& [key, text] : model) {
      keys.push_back(key);
      const Record* found = records.find(key);
      RC_ASSERT(found != nullptr);
      RC_ASSERT(found->text == text);
    }
    RC_ASSERT(records.sorted_keys() == keys);
  });
}

}  // namespace mqttsim::protocol::detail
