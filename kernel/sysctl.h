// Knobs as a declarative table (Linux ctl_table): each entry has its Linux
// name ("net.ipv4.tcp_syncookies"; "net/ipv4/tcp_syncookies" also works), a
// typed field in a per-stack config struct, and a min/max. Code reads the
// typed fields; only this table deals in strings. Setting a value outside
// [min, max] is refused with an error, and nothing changes.
//
//   SysctlTable t;
//   t.AddInt("net.core.somaxconn", &cfg.somaxconn, 0, INT_MAX);
//   absl::Status s = t.Set("net.core.somaxconn", "128");
//   absl::StatusOr<std::string> v = t.Get("net.core.somaxconn");   // "128"
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace usnet {

class SysctlTable {
 public:
  // An integer knob (Linux proc_dointvec_minmax).
  void AddInt(std::string name, int* field, int min, int max, std::string help = "");
  // A vector of integers written as "a b c" (e.g. net.ipv4.tcp_rmem); each
  // element must lie in [min, max] and the vector must be non-decreasing
  // when `ordered` (tcp_rmem's min <= default <= max).
  void AddIntVec(std::string name, std::span<int> fields, int min, int max, bool ordered,
                 std::string help = "");

  // A string knob (net.ipv4.tcp_congestion_control); `validate` refuses
  // values (returning the error to show) before they are stored.
  void AddString(std::string name, std::string* field,
                 std::function<absl::Status(std::string_view)> validate, std::string help = "");

  absl::Status Set(std::string_view name, std::string_view value);
  absl::StatusOr<std::string> Get(std::string_view name) const;
  // "name=value" (as `sysctl -w` and usnetd --sysctl take it).
  absl::Status Apply(std::string_view assignment);
  // A sysctl.conf-style file: "name = value" lines, '#' and ';' comments.
  absl::Status LoadFile(const std::string& path);

  // All names in sorted order.
  std::vector<std::string> Names() const;
  std::string Help(std::string_view name) const;

 private:
  struct Entry {
    std::span<int> fields;
    int min, max;
    bool ordered;
    std::string help;
    std::string* str = nullptr;  // a string knob when set
    std::function<absl::Status(std::string_view)> validate;
  };
  static std::string Normalize(std::string_view name);
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace usnet
