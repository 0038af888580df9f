// Flags and helpers shared by the commands that build a lab.
#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "kernel/mib.h"
#include "tools/usnet/cli.h"

ABSL_FLAG(double, loss, 0.0, "probability a frame is lost (each direction)");
ABSL_FLAG(double, duplicate, 0.0, "probability a frame is duplicated");
ABSL_FLAG(double, reorder, 0.0, "probability a frame is held back 1 ms (reordered)");
ABSL_FLAG(double, corrupt, 0.0, "probability one bit of a frame is flipped");
ABSL_FLAG(absl::Duration, delay, absl::Microseconds(50), "one-way link delay");
ABSL_FLAG(absl::Duration, jitter, absl::ZeroDuration(), "extra random delay, uniform in [0, jitter)");
ABSL_FLAG(int64_t, rate, 0, "link rate in bit/s (0: unlimited)");
ABSL_FLAG(int, mtu, 1500, "link MTU in bytes");
ABSL_FLAG(uint64_t, seed, 1, "seed for every random choice (faults, ports, ISNs)");
ABSL_FLAG(std::string, pcap, "", "write host a's traffic (both directions) to this pcap file");
ABSL_FLAG(bool, realtime, false, "run in real time instead of virtual time");
ABSL_FLAG(bool, nstat, false, "print both hosts' counters (nstat -a layout) at the end");
ABSL_FLAG(bool, zeros, false, "with --nstat, include counters that are zero");
ABSL_FLAG(std::vector<std::string>, sysctl, {}, "name=value[,name=value] applied to both hosts");

namespace usnet::cli {

std::vector<std::string> LabFlags() {
  return {"loss", "duplicate", "reorder", "corrupt", "delay", "jitter", "rate", "mtu",
          "seed", "pcap", "realtime", "nstat", "zeros", "sysctl"};
}

void Fail(const std::string& msg) {
  std::fprintf(stderr, "usnet: %s\n", msg.c_str());
  std::exit(2);
}

namespace {
double Probability(const char* name, double v) {
  if (!(v >= 0.0 && v <= 1.0)) Fail(absl::StrCat("--", name, " must be in [0, 1], got ", v));
  return v;
}
}  // namespace

std::unique_ptr<Lab> MakeLab() {
  LabOptions o;
  o.faults.loss = Probability("loss", absl::GetFlag(FLAGS_loss));
  o.faults.duplicate = Probability("duplicate", absl::GetFlag(FLAGS_duplicate));
  o.faults.reorder = Probability("reorder", absl::GetFlag(FLAGS_reorder));
  o.faults.corrupt = Probability("corrupt", absl::GetFlag(FLAGS_corrupt));
  o.faults.delay = absl::GetFlag(FLAGS_delay);
  o.faults.jitter = absl::GetFlag(FLAGS_jitter);
  if (o.faults.delay < absl::ZeroDuration()) Fail("--delay must not be negative");
  if (o.faults.jitter < absl::ZeroDuration()) Fail("--jitter must not be negative");
  const int64_t rate = absl::GetFlag(FLAGS_rate);
  if (rate < 0) Fail("--rate must not be negative");
  o.faults.rate_bps = static_cast<uint64_t>(rate);
  const int mtu = absl::GetFlag(FLAGS_mtu);
  if (mtu < 68 || mtu > 65535) Fail(absl::StrCat("--mtu must be in [68, 65535], got ", mtu));
  o.mtu = static_cast<uint32_t>(mtu);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.pcap_path = absl::GetFlag(FLAGS_pcap);
  o.realtime = absl::GetFlag(FLAGS_realtime);
  absl::StatusOr<std::unique_ptr<Lab>> lab = Lab::Create(o);
  if (!lab.ok()) Fail(std::string(lab.status().message()));
  for (const std::string& kv : absl::GetFlag(FLAGS_sysctl)) {
    for (Stack* s : {&(*lab)->a(), &(*lab)->b()}) {
      if (absl::Status st = s->sysctl().Apply(kv); !st.ok()) {
        Fail(absl::StrCat("--sysctl ", kv, ": ", st.message()));
      }
    }
  }
  return std::move(*lab);
}

void PrintHostReport(Stack& s, bool zeros) {
  std::printf("== host %s ==\n", s.name().c_str());
  std::fputs(FormatNstat(s.Counters(), zeros).c_str(), stdout);
  std::printf("-- interfaces --\n%s", s.FormatDevices().c_str());
  std::string copies = s.FormatCopies();
  std::printf("-- payload copies --\n%s", copies.empty() ? "  (none)\n" : copies.c_str());
}

}  // namespace usnet::cli
