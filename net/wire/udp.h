// UDP header (RFC 768). In IPv4 a zero checksum means "none sent".
#pragma once

#include <span>

#include "net/core/addr.h"
#include "net/core/byteorder.h"
#include "net/core/checksum.h"
#include "net/wire/parse.h"

namespace usnet {

inline constexpr size_t kUdpHeaderLen = 8;

class UdpView {
 public:
  UdpView() = default;
  // Valid when 8 <= length field <= bytes given; the view covers `length`.
  static ParseResult<UdpView> Parse(std::span<const std::byte> b) {
    if (b.size() < kUdpHeaderLen) return ParseError::kTruncated;
    const size_t len = LoadBe16(b.data() + 4);
    if (len < kUdpHeaderLen) return ParseError::kBadLength;
    if (len > b.size()) return ParseError::kTruncated;
    return UdpView(b.first(len));
  }
  Port src_port() const { return Port(LoadBe16(b_.data())); }
  Port dst_port() const { return Port(LoadBe16(b_.data() + 2)); }
  uint16_t length() const { return LoadBe16(b_.data() + 4); }
  uint16_t checksum() const { return LoadBe16(b_.data() + 6); }
  std::span<const std::byte> payload() const { return b_.subspan(kUdpHeaderLen); }
  bool ChecksumValid(Ipv4Addr src, Ipv4Addr dst) const {
    if (checksum() == 0) return true;
    uint32_t s = PseudoHeaderSum(src, dst, 17, static_cast<uint16_t>(b_.size()));
    return CsumFold(CsumPartial(b_.data(), b_.size(), s)) == 0;
  }

 private:
  explicit UdpView(std::span<const std::byte> b) : b_(b) {}
  std::span<const std::byte> b_;
};

struct UdpRepr {
  Port src_port;
  Port dst_port;
  size_t payload_len = 0;

  // Writes the header at p; the checksum covers the pseudo-header, the
  // header and `payload_len` bytes that already follow it. A computed 0 is
  // sent as 0xffff (RFC 768).
  void Emit(std::byte* p, Ipv4Addr src, Ipv4Addr dst) const {
    const uint16_t len = static_cast<uint16_t>(kUdpHeaderLen + payload_len);
    StoreBe16(p, src_port.value());
    StoreBe16(p + 2, dst_port.value());
    StoreBe16(p + 4, len);
    StoreCsum(p + 6, 0);
    uint16_t c = CsumFold(CsumPartial(p, len, PseudoHeaderSum(src, dst, 17, len)));
    StoreCsum(p + 6, c == 0 ? 0xffff : c);
  }
  // Header only, with the pseudo-header sum in the checksum field, for a
  // device that finishes the checksum (CHECKSUM_PARTIAL).
  void EmitPartial(std::byte* p, Ipv4Addr src, Ipv4Addr dst) const {
    const uint16_t len = static_cast<uint16_t>(kUdpHeaderLen + payload_len);
    StoreBe16(p, src_port.value());
    StoreBe16(p + 2, dst_port.value());
    StoreBe16(p + 4, len);
    StoreCsum(p + 6, static_cast<uint16_t>(~CsumFold(PseudoHeaderSum(src, dst, 17, len))));
  }
  friend bool operator==(const UdpRepr&, const UdpRepr&) = default;
};

}  // namespace usnet
