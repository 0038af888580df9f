// IPv4 header (RFC 791).
//
//   auto ip = Ipv4View::Parse(bytes);   // checks version, ihl, total length
//   if (!ip) count(ip.error());
//   Ipv4Repr{.src = a, .dst = b, .protocol = kIpProtoUdp, .payload_len = n}
//       .Emit(skb->Push(kIpv4MinHeaderLen));   // fills the checksum
#pragma once

#include <algorithm>
#include <span>

#include "net/core/addr.h"
#include "net/core/byteorder.h"
#include "net/core/checksum.h"
#include "net/wire/parse.h"

namespace usnet {

inline constexpr size_t kIpv4MinHeaderLen = 20;
inline constexpr size_t kIpv4MaxHeaderLen = 60;
inline constexpr size_t kIpv4MaxPacket = 65535;
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;

class Ipv4View {
 public:
  Ipv4View() = default;
  // Valid when the fixed header and options fit, the version is 4,
  // ihl >= 5, and ihl*4 <= total length <= the bytes given. kTruncated means
  // fewer bytes than the header or the total length field claims.
  static ParseResult<Ipv4View> Parse(std::span<const std::byte> b) { return Parse(b, b.size()); }
  // For a packet of `packet_len` bytes of which `b` is the linear part (the
  // rest in a fragment): the lengths are checked against packet_len, and
  // the view covers the bytes of the datagram that are in `b`.
  static ParseResult<Ipv4View> Parse(std::span<const std::byte> b, size_t packet_len) {
    if (b.size() < kIpv4MinHeaderLen) return ParseError::kTruncated;
    const uint8_t vihl = Load8(b.data());
    if ((vihl >> 4) != 4) return ParseError::kBadVersion;
    const size_t hlen = size_t{vihl & 0xfu} * 4;
    if (hlen < kIpv4MinHeaderLen) return ParseError::kBadLength;
    if (hlen > b.size()) return ParseError::kTruncated;
    const size_t total = LoadBe16(b.data() + 2);
    if (total < hlen) return ParseError::kBadLength;
    if (total > packet_len) return ParseError::kTruncated;
    return Ipv4View(b.first(std::min(total, b.size())));
  }

  // For the header quoted inside an ICMP error: like Parse, but the bytes
  // may stop short of the total length (the quote is cut); the view then
  // covers what is there.
  static ParseResult<Ipv4View> ParseQuoted(std::span<const std::byte> b) {
    if (b.size() < kIpv4MinHeaderLen) return ParseError::kTruncated;
    const uint8_t vihl = Load8(b.data());
    if ((vihl >> 4) != 4) return ParseError::kBadVersion;
    const size_t hlen = size_t{vihl & 0xfu} * 4;
    if (hlen < kIpv4MinHeaderLen) return ParseError::kBadLength;
    if (hlen > b.size()) return ParseError::kTruncated;
    const size_t total = LoadBe16(b.data() + 2);
    if (total < hlen) return ParseError::kBadLength;
    return Ipv4View(b.first(std::min(total, b.size())));
  }

  size_t header_len() const { return size_t{Load8(b_.data()) & 0xfu} * 4; }
  uint8_t tos() const { return Load8(b_.data() + 1); }
  uint16_t total_len() const { return LoadBe16(b_.data() + 2); }
  uint16_t id() const { return LoadBe16(b_.data() + 4); }
  bool df() const { return (LoadBe16(b_.data() + 6) & 0x4000) != 0; }
  bool mf() const { return (LoadBe16(b_.data() + 6) & 0x2000) != 0; }
  bool reserved_flag() const { return (LoadBe16(b_.data() + 6) & 0x8000) != 0; }
  // Fragment offset in bytes.
  size_t frag_offset() const { return size_t{LoadBe16(b_.data() + 6) & 0x1fffu} * 8; }
  bool is_fragment() const { return mf() || frag_offset() != 0; }
  uint8_t ttl() const { return Load8(b_.data() + 8); }
  uint8_t protocol() const { return Load8(b_.data() + 9); }
  uint16_t checksum() const { return LoadBe16(b_.data() + 10); }
  Ipv4Addr src() const { return Ipv4Addr(LoadBe32(b_.data() + 12)); }
  Ipv4Addr dst() const { return Ipv4Addr(LoadBe32(b_.data() + 16)); }
  std::span<const std::byte> options() const {
    return b_.subspan(kIpv4MinHeaderLen, header_len() - kIpv4MinHeaderLen);
  }
  std::span<const std::byte> header() const { return b_.first(header_len()); }
  std::span<const std::byte> payload() const { return b_.subspan(header_len()); }
  bool ChecksumValid() const { return CsumFold(CsumPartial(b_.data(), header_len(), 0)) == 0; }

 private:
  explicit Ipv4View(std::span<const std::byte> b) : b_(b) {}
  std::span<const std::byte> b_;
};

struct Ipv4Repr {
  Ipv4Addr src;
  Ipv4Addr dst;
  uint8_t protocol = 0;
  uint8_t ttl = 64;
  uint8_t tos = 0;
  uint16_t id = 0;
  bool df = false;
  bool mf = false;
  size_t frag_offset = 0;  // bytes, a multiple of 8
  size_t payload_len = 0;

  static Ipv4Repr Parse(const Ipv4View& v) {
    return {v.src(), v.dst(), v.protocol(), v.ttl(),         v.tos(),
            v.id(),  v.df(),  v.mf(),       v.frag_offset(), v.total_len() - v.header_len()};
  }
  // Writes a 20-byte header (no options) with its checksum.
  void Emit(std::byte* p) const {
    Store8(p, 0x45);
    Store8(p + 1, tos);
    StoreBe16(p + 2, static_cast<uint16_t>(kIpv4MinHeaderLen + payload_len));
    StoreBe16(p + 4, id);
    StoreBe16(p + 6, static_cast<uint16_t>((df ? 0x4000 : 0) | (mf ? 0x2000 : 0) |
                                           ((frag_offset / 8) & 0x1fff)));
    Store8(p + 8, ttl);
    Store8(p + 9, protocol);
    StoreCsum(p + 10, 0);
    StoreBe32(p + 12, src.value());
    StoreBe32(p + 16, dst.value());
    StoreCsum(p + 10, CsumFold(CsumPartial(p, kIpv4MinHeaderLen, 0)));
  }
  friend bool operator==(const Ipv4Repr&, const Ipv4Repr&) = default;
};

// Recomputes the header checksum of the header at p (after editing fields).
inline void Ipv4UpdateChecksum(std::byte* p) {
  const size_t hlen = size_t{Load8(p) & 0xfu} * 4;
  StoreCsum(p + 10, 0);
  StoreCsum(p + 10, CsumFold(CsumPartial(p, hlen, 0)));
}

}  // namespace usnet
