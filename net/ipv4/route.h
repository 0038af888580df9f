// The IPv4 routing table (FIB) with longest-prefix match. Routes live in one
// hash map per prefix length; a lookup walks the lengths present, longest
// first, so a host's handful of routes costs a few probes. Results are kept
// in a small lookup cache, because every received packet asks about the
// same few addresses (its source and destination) two or three times;
// Add and Remove clear it, so it never answers differently from the table.
//
//   fib.Add({.dst = *Ipv4Prefix::Parse("10.0.0.0/24"), .dev = eth0});
//   fib.Add({.dst = {Ipv4Addr(), 0}, .gateway = gw, .dev = eth0});  // default
//   const Route* r = fib.Lookup(dst);
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "net/core/addr.h"

namespace usnet {

class NetDevice;

enum class RouteType : uint8_t {
  kUnicast,    // reachable through dev (directly or via gateway)
  kLocal,      // one of our addresses: deliver locally
  kBroadcast,  // a broadcast address of one of our networks
};

struct Route {
  Ipv4Prefix dst{};
  Ipv4Addr gateway{};  // 0: directly connected
  NetDevice* dev = nullptr;
  Ipv4Addr prefsrc{};  // preferred source address (0: pick from dev)
  RouteType type = RouteType::kUnicast;
  int metric = 0;
};

// What a lookup decided for one destination.
struct RouteResult {
  NetDevice* dev = nullptr;
  Ipv4Addr next_hop;  // gateway, or the destination itself
  Ipv4Addr src;       // source address to use
  RouteType type = RouteType::kUnicast;
  uint32_t mtu = 0;
};

class Fib {
 public:
  absl::Status Add(const Route& r);
  // Removes the route for exactly this prefix (and metric); false if none.
  bool Remove(Ipv4Prefix dst, int metric = 0);
  const Route* Lookup(Ipv4Addr dst) const {
    const LookupCache::Entry& e = cache_.Slot(dst);
    if (e.valid && e.addr == dst.value()) return e.route;
    return LookupMiss(dst);
  }
  std::vector<Route> Dump() const;  // sorted: longest prefix first
  std::string Format() const;       // like `ip route show table all`

 private:
  // Direct-mapped, indexed by a hash of the address. Copies start empty:
  // an entry points into its own table's routes.
  class LookupCache {
   public:
    static constexpr int kBits = 4;
    LookupCache() = default;
    LookupCache(const LookupCache&) {}
    LookupCache& operator=(const LookupCache&) {
      Clear();
      return *this;
    }
    struct Entry {
      uint32_t addr = 0;
      bool valid = false;
      const Route* route = nullptr;  // nullptr: no route
    };
    Entry& Slot(Ipv4Addr a) { return e_[(a.value() * 0x9e3779b1u) >> (32 - kBits)]; }
    void Clear() { e_ = {}; }

   private:
    std::array<Entry, 1u << kBits> e_{};
  };
  const Route* LookupMiss(Ipv4Addr dst) const;  // walks the table, fills the cache

  absl::flat_hash_map<uint32_t, std::vector<Route>> by_len_[33];  // net -> routes by metric
  uint64_t lengths_present_ = 0;  // bit L set if any /L route exists
  mutable LookupCache cache_;  // the event loop is single-threaded
};

}  // namespace usnet
