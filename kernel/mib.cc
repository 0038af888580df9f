#include "kernel/mib.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "kernel/check.h"

namespace usnet {

void MibRegistry::Add(std::string prefix, std::span<const std::string_view> names,
                      std::span<const uint64_t> values) {
  std::vector<std::string> n(names.begin(), names.end());
  Add(std::move(prefix), std::move(n), values);
}

void MibRegistry::Add(std::string prefix, std::vector<std::string> names,
                      std::span<const uint64_t> values) {
  USNET_CHECK(names.size() == values.size());
  groups_.push_back(Group{std::move(prefix), std::move(names), values});
}

std::vector<std::pair<std::string, uint64_t>> MibRegistry::Snapshot() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const Group& g : groups_) {
    for (size_t i = 0; i < g.names.size(); ++i) {
      out.emplace_back(absl::StrCat(g.prefix, g.names[i]), g.values[i]);
    }
  }
  return out;
}

bool MibRegistry::Lookup(std::string_view name, uint64_t* value) const {
  for (const Group& g : groups_) {
    if (name.substr(0, g.prefix.size()) != g.prefix) continue;
    std::string_view rest = name.substr(g.prefix.size());
    for (size_t i = 0; i < g.names.size(); ++i) {
      if (g.names[i] == rest) {
        *value = g.values[i];
        return true;
      }
    }
  }
  return false;
}

std::string FormatNstat(const std::vector<std::pair<std::string, uint64_t>>& counters,
                        bool zeros) {
  // nstat.c: fprintf("%-32s%-16llu%6.1f\n", id, val, rate). We print
  // absolute values (nstat -a), so the rate column is 0.0.
  std::string out = "#kernel\n";
  for (const auto& [name, v] : counters) {
    if (v == 0 && !zeros) continue;
    absl::StrAppendFormat(&out, "%-32s%-16u%6.1f\n", name, v, 0.0);
  }
  return out;
}

std::string FormatNstatJson(const std::vector<std::pair<std::string, uint64_t>>& counters,
                            bool zeros) {
  std::string out = "{\"kernel\":{";
  bool first = true;
  for (const auto& [name, v] : counters) {
    if (v == 0 && !zeros) continue;
    absl::StrAppend(&out, first ? "" : ",", "\"", name, "\":", v);
    first = false;
  }
  out += "}}";
  return out;
}

}  // namespace usnet
