// Counters (Linux MIBs, /proc/net/snmp and /proc/net/netstat). A group is a
// plain array of u64 indexed by an enum, so counting costs one add; names
// live beside the enum (generated from one X-macro list, so they cannot
// drift apart). A MibRegistry lists every group of one host for `nstat`.
//
//   #define MY_MIB(X) X(InReceives) X(InHdrErrors)
//   enum class MyMib { MY_MIB(USNET_MIB_ENUM) kCount };
//   inline constexpr std::string_view kMyMibNames[] = {MY_MIB(USNET_MIB_NAME)};
//   Mib<MyMib> ip;  ip.Inc(MyMib::kInReceives);
//   registry.Add("Ip", kMyMibNames, ip.values());
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#define USNET_MIB_ENUM(name) k##name,
#define USNET_MIB_NAME(name) #name,

namespace usnet {

template <typename E>
class Mib {
 public:
  static constexpr size_t kSize = static_cast<size_t>(E::kCount);
  void Inc(E e, uint64_t n = 1) { v_[static_cast<size_t>(e)] += n; }
  void Dec(E e, uint64_t n = 1) { v_[static_cast<size_t>(e)] -= n; }  // gauges (CurrEstab)
  void Set(E e, uint64_t n) { v_[static_cast<size_t>(e)] = n; }
  uint64_t Get(E e) const { return v_[static_cast<size_t>(e)]; }
  uint64_t operator[](E e) const { return Get(e); }
  std::span<const uint64_t> values() const { return v_; }
  std::span<uint64_t> mutable_values() { return v_; }

 private:
  std::array<uint64_t, kSize> v_{};
};

// One host's counters, by group, in registration order.
class MibRegistry {
 public:
  struct Group {
    std::string prefix;  // "Ip", "TcpExt", ...: nstat names are prefix+name
    std::vector<std::string> names;
    std::span<const uint64_t> values;
  };
  void Add(std::string prefix, std::span<const std::string_view> names,
           std::span<const uint64_t> values);
  void Add(std::string prefix, std::vector<std::string> names, std::span<const uint64_t> values);

  // (nstat name, value) for every counter, in order.
  std::vector<std::pair<std::string, uint64_t>> Snapshot() const;
  // The value of "IpInReceives"-style name; false if unknown.
  bool Lookup(std::string_view name, uint64_t* value) const;
  const std::vector<Group>& groups() const { return groups_; }

 private:
  std::vector<Group> groups_;
};

// Formats counters in the layout of `nstat -a` ("#kernel", then name,
// value and rate columns). Zero values are left out unless `zeros`.
std::string FormatNstat(const std::vector<std::pair<std::string, uint64_t>>& counters,
                        bool zeros);
// The same as one JSON object {"kernel":{...}} (nstat -j).
std::string FormatNstatJson(const std::vector<std::pair<std::string, uint64_t>>& counters,
                            bool zeros);

}  // namespace usnet
