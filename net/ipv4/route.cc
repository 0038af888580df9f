#include "net/ipv4/route.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "net/core/netdevice.h"

namespace usnet {

absl::Status Fib::Add(const Route& r) {
  if (r.dst.len < 0 || r.dst.len > 32) return absl::InvalidArgumentError("bad prefix length");
  if (r.dev == nullptr) return absl::InvalidArgumentError("route needs a device");
  Route norm = r;
  norm.dst.addr = r.dst.network();
  auto& v = by_len_[norm.dst.len][norm.dst.addr.value()];
  for (const Route& e : v) {
    if (e.metric == norm.metric) {
      return absl::AlreadyExistsError(absl::StrCat("route ", norm.dst.ToString(), " exists"));
    }
  }
  v.push_back(norm);
  std::sort(v.begin(), v.end(), [](const Route& a, const Route& b) { return a.metric < b.metric; });
  lengths_present_ |= uint64_t{1} << norm.dst.len;
  cache_.Clear();
  return absl::OkStatus();
}

bool Fib::Remove(Ipv4Prefix dst, int metric) {
  if (dst.len < 0 || dst.len > 32) return false;
  auto& m = by_len_[dst.len];
  auto it = m.find(dst.network().value());
  if (it == m.end()) return false;
  auto& v = it->second;
  auto r = std::find_if(v.begin(), v.end(), [&](const Route& e) { return e.metric == metric; });
  if (r == v.end()) return false;
  cache_.Clear();
  v.erase(r);
  if (v.empty()) m.erase(it);
  if (m.empty()) lengths_present_ &= ~(uint64_t{1} << dst.len);
  return true;
}

const Route* Fib::LookupMiss(Ipv4Addr dst) const {
  const Route* found = nullptr;
  uint64_t lens = lengths_present_;
  while (lens != 0) {
    int len = 63 - __builtin_clzll(lens);  // longest present first
    lens &= ~(uint64_t{1} << len);
    auto it = by_len_[len].find(dst.value() & Ipv4Prefix::MaskOf(len));
    if (it != by_len_[len].end()) {
      found = &it->second.front();  // lowest metric
      break;
    }
  }
  cache_.Slot(dst) = {dst.value(), true, found};
  return found;
}

std::vector<Route> Fib::Dump() const {
  std::vector<Route> out;
  for (int len = 32; len >= 0; --len) {
    for (const auto& [net, v] : by_len_[len]) out.insert(out.end(), v.begin(), v.end());
  }
  std::stable_sort(out.begin(), out.end(), [](const Route& a, const Route& b) {
    if (a.dst.len != b.dst.len) return a.dst.len > b.dst.len;
    return a.dst.addr < b.dst.addr;
  });
  return out;
}

std::string Fib::Format() const {
  std::string out;
  for (const Route& r : Dump()) {
    const char* type = r.type == RouteType::kLocal ? "local " : r.type == RouteType::kBroadcast ? "broadcast " : "";
    std::string dst = r.dst.len == 0 ? "default" : r.dst.len == 32 ? r.dst.addr.ToString() : r.dst.ToString();
    absl::StrAppend(&out, type, dst);
    if (!r.gateway.IsAny()) absl::StrAppend(&out, " via ", r.gateway.ToString());
    absl::StrAppend(&out, " dev ", r.dev->name());
    if (!r.prefsrc.IsAny()) absl::StrAppend(&out, " src ", r.prefsrc.ToString());
    if (r.metric != 0) absl::StrAppend(&out, " metric ", r.metric);
    out += "\n";
  }
  return out;
}

}  // namespace usnet
