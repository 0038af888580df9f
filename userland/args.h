// Tiny flag parsing for the userland programs (they cannot share absl's
// global flags: several may run in one process at once).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

namespace userland {

class Args {
 public:
  // Parses --name value / --name=value / --flag pairs. `known` lists the
  // flag names; anything else is an error printed as one line.
  Args(int argc, char** argv, std::initializer_list<std::string_view> known) {
    prog_ = argc > 0 ? argv[0] : "?";
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) {
        Error("unexpected argument '" + a + "'");
        return;
      }
      a = a.substr(2);
      std::string value = "1";
      if (size_t eq = a.find('='); eq != std::string::npos) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
      } else if (i + 1 < argc && std::string_view(argv[i + 1]).rfind("--", 0) != 0) {
        value = argv[++i];
      }
      bool ok = false;
      for (std::string_view k : known) ok |= (k == a);
      if (!ok) {
        Error("unknown flag --" + a);
        return;
      }
      values_[a] = value;
    }
  }
  bool ok() const { return ok_; }
  std::string Get(const std::string& name, const std::string& def) const {
    auto it = values_.find(name);
    return it == values_.end() ? def : it->second;
  }
  long Int(const std::string& name, long def) {
    auto it = values_.find(name);
    if (it == values_.end()) return def;
    char* end = nullptr;
    long v = std::strtol(it->second.c_str(), &end, 10);
    if (end == it->second.c_str() || *end != '\0' || v < 0) {
      Error("--" + name + " needs a non-negative integer, got '" + it->second + "'");
      return def;
    }
    return v;
  }
  bool Has(const std::string& name) const { return values_.count(name) > 0; }

 private:
  void Error(const std::string& msg) {
    if (ok_) std::fprintf(stderr, "%s: %s\n", prog_.c_str(), msg.c_str());
    ok_ = false;
  }
  std::string prog_;
  std::map<std::string, std::string> values_;
  bool ok_ = true;
};

}  // namespace userland
