// The `usnet` command-line tool: subcommands, their flags, and helpers they
// share. Each subcommand lists the flags it accepts; any other flag given to
// it is a one-line error with exit status 2.
#pragma once

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/time/time.h"
#include "tools/lib/lab.h"

// Flags shared by the commands that build a lab.
ABSL_DECLARE_FLAG(double, loss);
ABSL_DECLARE_FLAG(double, duplicate);
ABSL_DECLARE_FLAG(double, reorder);
ABSL_DECLARE_FLAG(double, corrupt);
ABSL_DECLARE_FLAG(absl::Duration, delay);
ABSL_DECLARE_FLAG(absl::Duration, jitter);
ABSL_DECLARE_FLAG(int64_t, rate);
ABSL_DECLARE_FLAG(int, mtu);
ABSL_DECLARE_FLAG(uint64_t, seed);
ABSL_DECLARE_FLAG(std::string, pcap);
ABSL_DECLARE_FLAG(bool, realtime);
ABSL_DECLARE_FLAG(bool, nstat);
ABSL_DECLARE_FLAG(bool, zeros);
ABSL_DECLARE_FLAG(std::vector<std::string>, sysctl);

namespace usnet::cli {

struct Command {
  const char* name;
  const char* summary;
  std::vector<std::string> flags;  // accepted flags (without --)
  int (*run)(const std::vector<std::string>& args);
};

// The flags every lab-building command accepts.
std::vector<std::string> LabFlags();

// Prints "usnet: <msg>" to stderr and exits with status 2.
[[noreturn]] void Fail(const std::string& msg);

// Reads and validates the lab flags; Fail()s on a bad value. Applies
// --sysctl name=value to both hosts after creating the lab.
std::unique_ptr<Lab> MakeLab();

// Prints one host's counters in `nstat -a` layout, its interfaces and its
// copy ledger.
void PrintHostReport(Stack& s, bool zeros);

struct PingOptions {
  int count = 5;
  absl::Duration interval = absl::Seconds(1);
  int size = 56;
  int ttl = 64;
  bool df = false;
  absl::Duration timeout = absl::Seconds(5);
  bool quiet = false;
};
struct PingResult {
  int sent = 0, received = 0, duplicates = 0, errors = 0;
};
// Host a pings `dst` through a ping socket, printing iputils-style lines.
PingResult RunPing(Lab& lab, Ipv4Addr dst, const PingOptions& o);

int PingMain(const std::vector<std::string>& args);
int DemoMain(const std::vector<std::string>& args);

}  // namespace usnet::cli
