#include "userland/programs.h"

#include <sstream>

namespace userland {

namespace {
struct Entry {
  const char* name;
  ProgramMain main;
};
constexpr Entry kPrograms[] = {
    {"echo-server", EchoServerMain},
    {"echo-client", EchoClientMain},
    {"http-server", HttpServerMain},
    {"http-client", HttpClientMain},
};
}  // namespace

ProgramMain FindProgram(std::string_view name) {
  for (const Entry& e : kPrograms) {
    if (name == e.name) return e.main;
  }
  return nullptr;
}

std::vector<std::string> ProgramNames() {
  std::vector<std::string> v;
  for (const Entry& e : kPrograms) v.emplace_back(e.name);
  return v;
}

int RunCommandLine(const std::string& command) {
  std::istringstream in(command);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) return 2;
  ProgramMain m = FindProgram(words[0]);
  if (m == nullptr) return 2;
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  return m(static_cast<int>(words.size()), argv.data());
}

}  // namespace userland
