// StreamDecoder: framing of an arbitrarily split byte stream into packets. The fixed header
// is judged (type, direction, flags, size limit, connect order) before any body byte is
// buffered; complete packets are decoded in place from the caller's chunk.
#include <limits>
#include <string>

#include "protocol/codec.hpp"
#include "protocol/packet_reader.hpp"

namespace mqttsim::protocol {

namespace {
constexpr std::size_t kFailed = std::numeric_limits<std::size_t>::max();
}  // namespace

StreamDecoder::StreamDecoder(StreamOptions options) : options_(std::move(options)) {
  // Without a version the stream can only start with the CONNECT that announces it.
  if (!options_.version) options_.enforce_connect_order = true;
  learn_first_bytes();
}

void StreamDecoder::feed(ByteView bytes) {
  if (bytes.empty()) return;
  if (!borrowed_.empty()) {
    // The caller fed again before draining: keep the order by gathering the old chunk.
    pending_.insert(pending_.end(), borrowed_.begin(), borrowed_.end());
  }
  borrowed_ = bytes;
}

StreamDecoder::Status StreamDecoder::fail(Malformed error) {
  error_ = std::move(error);
  dead_ = true;
  borrowed_ = {};
  return Status::malformed;
}

// One table per (version, sender), built once: a server opening thousands of connections
// must not re-derive it, with its error messages, for each of them.
void StreamDecoder::learn_first_bytes() {
  using Table = std::array<bool, 256>;
  static const std::array<Table, 6> kTables = [] {
    std::array<Table, 6> tables{};
    for (std::size_t v = 0; v < 3; ++v) {
      for (std::size_t s = 0; s < 2; ++s) {
        for (unsigned byte = 0; byte < 256; ++byte) {
          tables[v * 2 + s][byte] = !detail::check_first_byte(
              static_cast<std::uint8_t>(byte), static_cast<Version>(v + 3), static_cast<Sender>(s));
        }
      }
    }
    return tables;
  }();
  const auto v = static_cast<std::size_t>(options_.version.value_or(Version::v5)) - 3;
  first_byte_ok_ = &kTables[v * 2 + static_cast<std::size_t>(options_.sender)];
}

std::size_t StreamDecoder::frame_length(const std::uint8_t* p, const std::uint8_t* end) {
  if (p == end) return 0;
  const auto type = static_cast<PacketType>(p[0] >> 4);
  if (options_.enforce_connect_order) [[unlikely]] {
    if (packets_decoded_ == 0 && type != PacketType::connect) {
      error_ = {ErrorKind::protocol_error,
                "first packet is " + std::string(packet_type_name(type)) + ", not CONNECT",
                "MQTT-3.1.0-1", 0};
      return kFailed;
    }
    if (packets_decoded_ > 0 && type == PacketType::connect) {
      error_ = {ErrorKind::protocol_error, "second CONNECT on one connection", "MQTT-3.1.0-2", 0};
      return kFailed;
    }
  }
  const Version version = options_.version.value_or(Version::v5);
  if (!(*first_byte_ok_)[p[0]]) [[unlikely]] {
    error_ = *detail::check_first_byte(p[0], version, options_.sender);
    return kFailed;
  }
  std::uint32_t remaining = 0;
  std::size_t length_size = 0;
  const VarintStatus status = decode_varint(p + 1, end, remaining, length_size);
  switch (status) {
    case VarintStatus::need_more:
      return 0;
    case VarintStatus::too_long:
    case VarintStatus::non_minimal:
      error_ = {ErrorKind::malformed_packet,
                "Remaining Length is " + std::string(detail::varint_problem(status)),
                detail::varint_error_ref(status, version), 1};
      return kFailed;
    case VarintStatus::ok:
      break;
  }
  const std::size_t total = 1 + length_size + remaining;
  frame_header_size_ = static_cast<std::uint32_t>(1 + length_size);
  if (total > options_.limits.max_packet_size_bytes) [[unlikely]] {
    error_ = {ErrorKind::packet_too_large,
              std::string(packet_type_name(type)) + " of " + std::to_string(total) +
                  " bytes exceeds the Maximum Packet Size of " +
                  std::to_string(options_.limits.max_packet_size_bytes),
              detail::packet_too_large_ref(version, options_.sender), 0};
    return kFailed;
  }
  return total;
}

StreamDecoder::Status StreamDecoder::decode_frame(ByteView frame, Packet& out) {
  const Version version = options_.version.value_or(Version::v5);
  if (auto error = detail::decode_framed(frame, frame_header_size_, version, options_.sender,
                                         options_.limits, out)) {
    return fail(*std::move(error));
  }
  // The CONNECT names the protocol of the whole connection, whatever was assumed before it.
  if (const auto* connect = std::get_if<Connect>(&out);
      connect != nullptr && options_.version != connect->version) {
    options_.version = connect->version;
    learn_first_bytes();
  }
  last_packet_ = frame;
  ++packets_decoded_;
  return Status::packet;
}

StreamDecoder::Status StreamDecoder::next(Packet& out) {
  if (dead_) return Status::malformed;
  if (pending_pos_ > 0) {  // the packet returned last time is released now
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_pos_));
    pending_pos_ = 0;
  }
  // A packet started in an earlier chunk: complete it from the current chunk, copying only
  // the bytes it still needs.
  while (!pending_.empty()) {
    const std::size_t length = frame_length(pending_.data(), pending_.data() + pending_.size());
    if (length == kFailed) return fail(error_);
    const std::size_t missing = length == 0                ? 1
                                : length > pending_.size() ? length - pending_.size()
                                                           : 0;
    if (missing == 0) {
      pending_pos_ = static_cast<std::uint32_t>(length);
      return decode_frame(ByteView(pending_.data(), length), out);
    }
    if (borrowed_.empty()) return Status::need_more;
    const std::size_t take = std::min(missing, borrowed_.size());
    pending_.insert(pending_.end(), borrowed_.begin(),
                    borrowed_.begin() + static_cast<std::ptrdiff_t>(take));
    borrowed_ = ByteView(borrowed_.subspan(take));
  }
  const std::size_t length = frame_length(borrowed_.data(), borrowed_.data() + borrowed_.size());
  if (length == kFailed) return fail(error_);
  if (length == 0 || length > borrowed_.size()) {
    pending_.assign(borrowed_.begin(), borrowed_.end());
    borrowed_ = {};
    return Status::need_more;
  }
  const ByteView frame(borrowed_.data(), length);
  borrowed_ = ByteView(borrowed_.subspan(length));
  return decode_frame(frame, out);
}

}  // namespace mqttsim::protocol
