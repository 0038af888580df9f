// ICMPv4 (RFC 792): the 8-byte header (type, code, checksum, 4 bytes whose
// meaning depends on the type) followed by data.
#pragma once

#include <span>

#include "net/core/byteorder.h"
#include "net/core/checksum.h"
#include "net/wire/parse.h"

namespace usnet {

inline constexpr size_t kIcmpHeaderLen = 8;

enum IcmpType : uint8_t {
  kIcmpEchoReply = 0,
  kIcmpDestUnreach = 3,
  kIcmpSourceQuench = 4,
  kIcmpRedirect = 5,
  kIcmpEcho = 8,
  kIcmpTimeExceeded = 11,
  kIcmpParameterProb = 12,
  kIcmpTimestamp = 13,
  kIcmpTimestampReply = 14,
};

enum IcmpUnreachCode : uint8_t {
  kIcmpNetUnreach = 0,
  kIcmpHostUnreach = 1,
  kIcmpProtUnreach = 2,
  kIcmpPortUnreach = 3,
  kIcmpFragNeeded = 4,
};

enum IcmpTimeExceededCode : uint8_t {
  kIcmpExcTtl = 0,
  kIcmpExcFragTime = 1,
};

class IcmpView {
 public:
  IcmpView() = default;
  static ParseResult<IcmpView> Parse(std::span<const std::byte> b) {
    if (b.size() < kIcmpHeaderLen) return ParseError::kTruncated;
    return IcmpView(b);
  }
  uint8_t type() const { return Load8(b_.data()); }
  uint8_t code() const { return Load8(b_.data() + 1); }
  uint16_t checksum() const { return LoadBe16(b_.data() + 2); }
  uint32_t rest() const { return LoadBe32(b_.data() + 4); }
  uint16_t echo_id() const { return LoadBe16(b_.data() + 4); }
  uint16_t echo_seq() const { return LoadBe16(b_.data() + 6); }
  uint16_t next_hop_mtu() const { return LoadBe16(b_.data() + 6); }  // frag needed
  std::span<const std::byte> payload() const { return b_.subspan(kIcmpHeaderLen); }
  std::span<const std::byte> bytes() const { return b_; }
  bool ChecksumValid() const { return CsumFold(CsumPartial(b_.data(), b_.size(), 0)) == 0; }

 private:
  explicit IcmpView(std::span<const std::byte> b) : b_(b) {}
  std::span<const std::byte> b_;
};

struct IcmpRepr {
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t rest = 0;  // id<<16|seq for echo, mtu for frag-needed, 0 otherwise

  static uint32_t Echo(uint16_t id, uint16_t seq) { return (uint32_t{id} << 16) | seq; }
  // Writes the header at p and the checksum over header + `data_len` bytes
  // that already follow it.
  void Emit(std::byte* p, size_t data_len) const {
    Store8(p, type);
    Store8(p + 1, code);
    StoreCsum(p + 2, 0);
    StoreBe32(p + 4, rest);
    StoreCsum(p + 2, CsumFold(CsumPartial(p, kIcmpHeaderLen + data_len, 0)));
  }
  friend bool operator==(const IcmpRepr&, const IcmpRepr&) = default;
};

}  // namespace usnet
