// Byte-array helpers for tests of wire views: literal packets written as
// hex bytes, exact-size copies (so a view that reads past its input trips
// AddressSanitizer), and a hex dump that makes EXPECT_EQ failures readable.
//
//   const std::vector<std::byte> pkt = Bytes({0x45, 0x00, 0x00, 0x21, ...});
//   for (size_t n = 0; n < pkt.size(); ++n) Ipv4View::Parse(Prefix(pkt, n));
//   EXPECT_EQ(Hex(built), Hex(pkt));
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace usnet::testing {

inline std::vector<std::byte> Bytes(std::initializer_list<uint8_t> l) {
  std::vector<std::byte> v;
  v.reserve(l.size());
  for (uint8_t b : l) v.push_back(static_cast<std::byte>(b));
  return v;
}

// The characters of s as bytes (payloads such as "hello").
inline std::vector<std::byte> BytesOf(std::string_view s) {
  std::vector<std::byte> v;
  for (char c : s) v.push_back(static_cast<std::byte>(c));
  return v;
}

// The first n bytes, in a heap block of exactly n bytes.
inline std::vector<std::byte> Prefix(std::span<const std::byte> b, size_t n) {
  return std::vector<std::byte>(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}

inline std::vector<std::byte> Concat(std::span<const std::byte> a, std::span<const std::byte> b) {
  std::vector<std::byte> v(a.begin(), a.end());
  v.insert(v.end(), b.begin(), b.end());
  return v;
}

inline std::string Hex(std::span<const std::byte> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i != 0) s += (i % 16 == 0) ? '\n' : ' ';
    const auto v = static_cast<uint8_t>(b[i]);
    s += kDigits[v >> 4];
    s += kDigits[v & 0xf];
  }
  return s;
}

}  // namespace usnet::testing
