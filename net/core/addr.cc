#include "net/core/addr.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace usnet {

std::optional<Ipv4Addr> Ipv4Addr::Parse(std::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(absl::string_view(s.data(), s.size()), '.');
  if (parts.size() != 4) return std::nullopt;
  uint32_t v = 0;
  for (absl::string_view p : parts) {
    if (p.empty() || p.size() > 3) return std::nullopt;
    for (char c : p) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    uint32_t octet;
    if (!absl::SimpleAtoi(p, &octet) || octet > 255) return std::nullopt;
    v = (v << 8) | octet;
  }
  return Ipv4Addr(v);
}

std::string Ipv4Addr::ToString() const {
  return absl::StrFormat("%u.%u.%u.%u", v_ >> 24, (v_ >> 16) & 0xff, (v_ >> 8) & 0xff, v_ & 0xff);
}

std::optional<Ipv4Prefix> Ipv4Prefix::Parse(std::string_view s) {
  size_t slash = s.find('/');
  std::optional<Ipv4Addr> a = Ipv4Addr::Parse(s.substr(0, slash));
  if (!a) return std::nullopt;
  int len = 32;
  if (slash != std::string_view::npos) {
    std::string_view l = s.substr(slash + 1);
    if (l.empty() || l.size() > 2 || !absl::SimpleAtoi(absl::string_view(l.data(), l.size()), &len) ||
        len < 0 || len > 32) {
      return std::nullopt;
    }
  }
  return Ipv4Prefix{*a, len};
}

std::string Ipv4Prefix::ToString() const { return absl::StrFormat("%s/%d", addr.ToString(), len); }

std::optional<MacAddr> MacAddr::Parse(std::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(absl::string_view(s.data(), s.size()), ':');
  if (parts.size() != 6) return std::nullopt;
  std::array<uint8_t, 6> b;
  for (int i = 0; i < 6; ++i) {
    if (parts[i].size() != 2) return std::nullopt;
    uint32_t v;
    if (!absl::SimpleHexAtoi(parts[i], &v)) return std::nullopt;
    b[i] = static_cast<uint8_t>(v);
  }
  return MacAddr(b);
}

MacAddr MacAddr::Local(uint32_t n) {
  return MacAddr({0x02, 0x00, static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                  static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
}

std::string MacAddr::ToString() const {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", b_[0], b_[1], b_[2], b_[3], b_[4], b_[5]);
}

}  // namespace usnet
