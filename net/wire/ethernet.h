// Ethernet II header (IEEE 802.3 framing with an EtherType).
//
//   auto eth = EthView::Parse(frame);        // >= 14 bytes
//   if (eth && eth->ethertype() == kEthPIp) ...
//   EthRepr{dst, src, kEthPArp}.Emit(skb->Push(kEthHeaderLen));
#pragma once

#include <cstring>
#include <span>

#include "net/core/addr.h"
#include "net/core/byteorder.h"
#include "net/wire/parse.h"

namespace usnet {

inline constexpr size_t kEthHeaderLen = 14;
inline constexpr uint16_t kEthPIp = 0x0800;
inline constexpr uint16_t kEthPArp = 0x0806;
inline constexpr uint16_t kEthPIpv6 = 0x86dd;
inline constexpr uint16_t kEthP8021Q = 0x8100;

class EthView {
 public:
  EthView() = default;
  static ParseResult<EthView> Parse(std::span<const std::byte> b) {
    if (b.size() < kEthHeaderLen) return ParseError::kTruncated;
    return EthView(b);
  }
  MacAddr dst() const { return Mac(0); }
  MacAddr src() const { return Mac(6); }
  uint16_t ethertype() const { return LoadBe16(b_.data() + 12); }
  std::span<const std::byte> payload() const { return b_.subspan(kEthHeaderLen); }

 private:
  explicit EthView(std::span<const std::byte> b) : b_(b) {}
  MacAddr Mac(size_t off) const {
    std::array<uint8_t, 6> m;
    std::memcpy(m.data(), b_.data() + off, 6);
    return MacAddr(m);
  }
  std::span<const std::byte> b_;
};

struct EthRepr {
  MacAddr dst;
  MacAddr src;
  uint16_t ethertype = 0;

  static EthRepr Parse(const EthView& v) { return {v.dst(), v.src(), v.ethertype()}; }
  // Writes 14 bytes at p (a buffer we sized).
  void Emit(std::byte* p) const {
    std::memcpy(p, dst.bytes().data(), 6);
    std::memcpy(p + 6, src.bytes().data(), 6);
    StoreBe16(p + 12, ethertype);
  }
  friend bool operator==(const EthRepr&, const EthRepr&) = default;
};

}  // namespace usnet
