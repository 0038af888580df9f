// usnet: the command-line tool.
//
//   usnet ping [--count N] [--size BYTES] [--loss P] [--pcap FILE] [--nstat] ...
//   usnet demo
//   usnet help [COMMAND]
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/usnet/cli.h"

namespace usnet::cli {
namespace {

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"ping", "two embedded hosts; a pings b over a memlink wire (ICMP echo via a ping socket)",
       Concat({"count", "interval", "size", "to", "ttl", "df", "timeout", "quiet"}, LabFlags()),
       PingMain},
      {"demo", "the tour: boot two hosts, ping, UDP echo, fragments, loss, failures, counters",
       {"pcap", "seed"}, DemoMain},
  };
  return kCommands;
}

void PrintUsage(FILE* out) {
  std::fprintf(out, "usage: usnet COMMAND [flags]\n\ncommands:\n");
  for (const Command& c : Commands()) std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
  std::fprintf(out, "\n'usnet help COMMAND' lists a command's flags.\n");
}

// The flag names given on the command line (before any "--").
std::vector<std::string> GivenFlags(int argc, char** argv) {
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') continue;
    a = a.substr(a[1] == '-' ? 2 : 1);
    a = a.substr(0, a.find('='));
    names.push_back(a);
  }
  return names;
}

}  // namespace
}  // namespace usnet::cli

int main(int argc, char** argv) {
  using usnet::cli::Commands;
  if (argc < 2 || std::strcmp(argv[1], "help") == 0 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "-h") == 0) {
    if (argc >= 3) {
      for (const auto& c : Commands()) {
        if (c.name == std::string(argv[2])) {
          std::printf("usnet %s: %s\nflags: --%s\n", c.name, c.summary,
                      absl::StrJoin(c.flags, " --").c_str());
          return 0;
        }
      }
    }
    usnet::cli::PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const usnet::cli::Command* cmd = nullptr;
  for (const auto& c : Commands()) {
    if (c.name == std::string(argv[1])) cmd = &c;
  }
  if (cmd == nullptr) usnet::cli::Fail(absl::StrCat("unknown command '", argv[1], "' (try 'usnet help')"));
  absl::SetProgramUsageMessage(absl::StrCat("usnet ", cmd->name, ": ", cmd->summary));
  // Parse argv[1..] as if the command were the program.
  std::vector<char*> args = absl::ParseCommandLine(argc - 1, argv + 1);
  for (const std::string& f : usnet::cli::GivenFlags(argc - 1, argv + 1)) {
    std::string base = f.rfind("no", 0) == 0 ? f.substr(2) : f;
    bool ok = false;
    for (const std::string& allowed : cmd->flags) ok |= (allowed == f || allowed == base);
    if (!ok) usnet::cli::Fail(absl::StrCat("'usnet ", cmd->name, "' takes no flag --", f));
  }
  std::vector<std::string> positional(args.begin() + 1, args.end());
  return cmd->run(positional);
}
