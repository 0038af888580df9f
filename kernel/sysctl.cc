#include "kernel/sysctl.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "kernel/check.h"

namespace usnet {

namespace {
// proc_get_long as proc_dointvec uses it: an optional '-', then a digit,
// then strtoul with base 0 (so "0x10" is hex and "010" octal, as in Linux);
// no '+', no trailing garbage, and the value must fit an int.
bool ParseProcInt(absl::string_view s, int* out) {
  const bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(s[0]))) return false;
  const std::string buf(s);
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(buf.c_str(), &end, 0);
  if (errno != 0 || *end != '\0') return false;
  if (v > (neg ? 2147483648ull : 2147483647ull)) return false;
  *out = neg ? static_cast<int>(-static_cast<long long>(v)) : static_cast<int>(v);
  return true;
}
}  // namespace

std::string SysctlTable::Normalize(std::string_view name) {
  std::string n(name);
  std::replace(n.begin(), n.end(), '/', '.');
  return n;
}

void SysctlTable::AddInt(std::string name, int* field, int min, int max, std::string help) {
  AddIntVec(std::move(name), std::span<int>(field, 1), min, max, false, std::move(help));
}

void SysctlTable::AddIntVec(std::string name, std::span<int> fields, int min, int max,
                            bool ordered, std::string help) {
  USNET_CHECK(!fields.empty() && min <= max);
  auto [it, inserted] =
      entries_.emplace(Normalize(name), Entry{fields, min, max, ordered, std::move(help), nullptr, {}});
  USNET_CHECK(inserted);
}

void SysctlTable::AddString(std::string name, std::string* field,
                            std::function<absl::Status(std::string_view)> validate, std::string help) {
  Entry e{{}, 0, 0, false, std::move(help), field, std::move(validate)};
  auto [it, inserted] = entries_.emplace(Normalize(name), std::move(e));
  USNET_CHECK(inserted);
}

absl::Status SysctlTable::Set(std::string_view name, std::string_view value) {
  auto it = entries_.find(Normalize(name));
  if (it == entries_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown sysctl '", std::string(name), "'"));
  }
  Entry& e = it->second;
  if (e.str != nullptr) {
    absl::string_view v = absl::StripAsciiWhitespace(absl::string_view(value.data(), value.size()));
    if (e.validate) {
      if (absl::Status s = e.validate(std::string_view(v.data(), v.size())); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": ", s.message()));
      }
    }
    *e.str = std::string(v);
    return absl::OkStatus();
  }
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(value.data(), value.size()), absl::ByAnyChar(" \t"),
                     absl::SkipEmpty());
  if (parts.size() != e.fields.size()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": expected ",
                                                   e.fields.size(), " integer(s), got '",
                                                   std::string(value), "'"));
  }
  std::vector<int> vals;
  for (absl::string_view p : parts) {
    int v;
    if (!ParseProcInt(p, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(name), ": '", std::string(p), "' is not an integer"));
    }
    if (v < e.min || v > e.max) {
      return absl::OutOfRangeError(absl::StrCat(std::string(name), ": ", v, " is outside [",
                                                e.min, ", ", e.max, "]"));
    }
    if (e.ordered && !vals.empty() && v < vals.back()) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(name), ": values must be non-decreasing"));
    }
    vals.push_back(v);
  }
  std::copy(vals.begin(), vals.end(), e.fields.begin());
  return absl::OkStatus();
}

absl::StatusOr<std::string> SysctlTable::Get(std::string_view name) const {
  auto it = entries_.find(Normalize(name));
  if (it == entries_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown sysctl '", std::string(name), "'"));
  }
  if (it->second.str != nullptr) return *it->second.str;
  return absl::StrJoin(it->second.fields, "\t");
}

absl::Status SysctlTable::Apply(std::string_view assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected name=value, got '", std::string(assignment), "'"));
  }
  auto strip = [](std::string_view s) {
    absl::string_view a = absl::StripAsciiWhitespace(absl::string_view(s.data(), s.size()));
    return std::string_view(a.data(), a.size());
  };
  return Set(strip(assignment.substr(0, eq)), strip(assignment.substr(eq + 1)));
}

absl::Status SysctlTable::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    absl::Status s = Apply(std::string_view(l.data(), l.size()));
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ":", lineno, ": ", s.message()));
  }
  return absl::OkStatus();
}

std::vector<std::string> SysctlTable::Names() const {
  std::vector<std::string> names;
  for (const auto& [k, v] : entries_) names.push_back(k);
  std::sort(names.begin(), names.end());
  return names;
}

std::string SysctlTable::Help(std::string_view name) const {
  auto it = entries_.find(Normalize(name));
  return it == entries_.end() ? "" : it->second.help;
}

}  // namespace usnet
