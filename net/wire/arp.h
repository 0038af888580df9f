// ARP for IPv4 over Ethernet (RFC 826): htype 1 (or 6, IEEE 802, which
// Linux's arp_process also accepts on Ethernet), ptype 0x0800, hlen 6,
// plen 4; 28 bytes. Anything else parses as kUnsupported.
#pragma once

#include <cstring>
#include <span>

#include "net/core/addr.h"
#include "net/core/byteorder.h"
#include "net/wire/parse.h"

namespace usnet {

inline constexpr size_t kArpLen = 28;
inline constexpr uint16_t kArpOpRequest = 1;
inline constexpr uint16_t kArpOpReply = 2;

class ArpView {
 public:
  ArpView() = default;
  static ParseResult<ArpView> Parse(std::span<const std::byte> b) {
    if (b.size() < 8) return ParseError::kTruncated;
    const uint16_t htype = LoadBe16(b.data());
    if ((htype != 1 && htype != 6) || LoadBe16(b.data() + 2) != 0x0800 || Load8(b.data() + 4) != 6 ||
        Load8(b.data() + 5) != 4) {
      return ParseError::kUnsupported;
    }
    if (b.size() < kArpLen) return ParseError::kTruncated;
    return ArpView(b);
  }
  uint16_t op() const { return LoadBe16(b_.data() + 6); }
  MacAddr sender_mac() const { return Mac(8); }
  Ipv4Addr sender_ip() const { return Ipv4Addr(LoadBe32(b_.data() + 14)); }
  MacAddr target_mac() const { return Mac(18); }
  Ipv4Addr target_ip() const { return Ipv4Addr(LoadBe32(b_.data() + 24)); }

 private:
  explicit ArpView(std::span<const std::byte> b) : b_(b) {}
  MacAddr Mac(size_t off) const {
    std::array<uint8_t, 6> m;
    std::memcpy(m.data(), b_.data() + off, 6);
    return MacAddr(m);
  }
  std::span<const std::byte> b_;
};

struct ArpRepr {
  uint16_t op = kArpOpRequest;
  MacAddr sender_mac;
  Ipv4Addr sender_ip;
  MacAddr target_mac;
  Ipv4Addr target_ip;

  static ArpRepr Parse(const ArpView& v) {
    return {v.op(), v.sender_mac(), v.sender_ip(), v.target_mac(), v.target_ip()};
  }
  void Emit(std::byte* p) const {
    StoreBe16(p, 1);
    StoreBe16(p + 2, 0x0800);
    Store8(p + 4, 6);
    Store8(p + 5, 4);
    StoreBe16(p + 6, op);
    std::memcpy(p + 8, sender_mac.bytes().data(), 6);
    StoreBe32(p + 14, sender_ip.value());
    std::memcpy(p + 18, target_mac.bytes().data(), 6);
    StoreBe32(p + 24, target_ip.value());
  }
  friend bool operator==(const ArpRepr&, const ArpRepr&) = default;
};

}  // namespace usnet
