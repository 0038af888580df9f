// Address value types: Ipv4Addr, MacAddr, Port. Host byte order inside; the
// wire views convert. Strong types so TCP/IP code never mixes a port with an
// address or a sequence number.
//
//   Ipv4Addr a = *Ipv4Addr::Parse("10.0.0.2");
//   MacAddr m = MacAddr::Broadcast();
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace usnet {

class Ipv4Addr {
 public:
  constexpr Ipv4Addr() = default;
  constexpr explicit Ipv4Addr(uint32_t host_order) : v_(host_order) {}
  static constexpr Ipv4Addr FromOctets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return Ipv4Addr((uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d);
  }
  static constexpr Ipv4Addr Any() { return Ipv4Addr(0); }
  static constexpr Ipv4Addr Broadcast() { return Ipv4Addr(0xffffffff); }
  static std::optional<Ipv4Addr> Parse(std::string_view s);

  constexpr uint32_t value() const { return v_; }
  constexpr bool IsAny() const { return v_ == 0; }
  constexpr bool IsBroadcast() const { return v_ == 0xffffffff; }
  constexpr bool IsMulticast() const { return (v_ >> 28) == 0xe; }
  constexpr bool IsLoopback() const { return (v_ >> 24) == 127; }
  // 0.0.0.0/8 ("this network"): never a valid source on the wire.
  constexpr bool IsZeroNet() const { return (v_ >> 24) == 0; }
  std::string ToString() const;

  friend constexpr auto operator<=>(Ipv4Addr, Ipv4Addr) = default;
  template <typename H>
  friend H AbslHashValue(H h, Ipv4Addr a) {
    return H::combine(std::move(h), a.v_);
  }

 private:
  uint32_t v_ = 0;
};

// A prefix such as 10.0.0.0/24 (or an address with its prefix length, as in
// `ip addr add 10.0.0.2/24`).
struct Ipv4Prefix {
  Ipv4Addr addr;
  int len = 0;
  static std::optional<Ipv4Prefix> Parse(std::string_view s);
  static constexpr uint32_t MaskOf(int len) { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }
  uint32_t mask() const { return MaskOf(len); }
  Ipv4Addr network() const { return Ipv4Addr(addr.value() & mask()); }
  Ipv4Addr broadcast() const { return Ipv4Addr(addr.value() | ~mask()); }
  bool Contains(Ipv4Addr a) const { return (a.value() & mask()) == network().value(); }
  std::string ToString() const;
  friend bool operator==(const Ipv4Prefix&, const Ipv4Prefix&) = default;
};

class MacAddr {
 public:
  constexpr MacAddr() = default;
  constexpr explicit MacAddr(std::array<uint8_t, 6> b) : b_(b) {}
  static constexpr MacAddr Broadcast() { return MacAddr({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}); }
  static std::optional<MacAddr> Parse(std::string_view s);
  // A locally administered unicast address 02:00:00:xx:xx:xx from `n`.
  static MacAddr Local(uint32_t n);

  const std::array<uint8_t, 6>& bytes() const { return b_; }
  bool IsBroadcast() const { return *this == Broadcast(); }
  bool IsMulticast() const { return (b_[0] & 1) != 0; }  // includes broadcast
  bool IsZero() const { return *this == MacAddr(); }
  std::string ToString() const;
  friend constexpr bool operator==(const MacAddr&, const MacAddr&) = default;

 private:
  std::array<uint8_t, 6> b_{};
};

class Port {
 public:
  constexpr Port() = default;
  constexpr explicit Port(uint16_t v) : v_(v) {}
  constexpr uint16_t value() const { return v_; }
  friend constexpr auto operator<=>(Port, Port) = default;
  template <typename H>
  friend H AbslHashValue(H h, Port p) {
    return H::combine(std::move(h), p.v_);
  }

 private:
  uint16_t v_ = 0;
};

}  // namespace usnet
