// Seeded two-host simulations over a faulty link (the TCP issue's bar):
// 1 MiB each way with 5% loss, 2% reordering, 1% duplication and 0.1%
// corruption of frames in each direction. Every byte must arrive intact,
// every connection must close cleanly, and no run may hang (each run is
// bounded in virtual time). USNET_SIM_RUNS overrides the number of seeds.
#include <cstdlib>

#include "drivers/fault/fault_injector.h"
#include "gtest/gtest.h"
#include "net/ipv4/tcp.h"
#include "tests/support/tcp_pair.h"

namespace usnet {
namespace {

using namespace testing;  // NOLINT

FaultConfig Faults() {
  FaultConfig f;
  f.loss = 0.05;
  f.reorder = 0.02;
  f.duplicate = 0.01;
  f.corrupt = 0.001;
  f.delay = absl::Microseconds(500);
  f.reorder_gap = absl::Milliseconds(1);
  return f;
}

struct SimRun {
  bool ok = false;
  std::string why;
  uint64_t retrans = 0;
};

SimRun RunSeed(uint64_t seed, size_t bytes) {
  TwoHostsOptions o;
  o.seed = seed;
  o.wrap = [seed](std::unique_ptr<NetDevice> d, int host, EventLoop& loop) -> std::unique_ptr<NetDevice> {
    return std::make_unique<FaultInjector>(std::move(d), loop, Faults(), FaultConfig{},
                                           seed * 1000003 + static_cast<uint64_t>(host));
  };
  TwoHosts net(o);
  SimRun r;
  TcpPair p = ConnectPair(net, absl::Minutes(5));
  if (p.server < 0 || p.client < 0) {
    r.why = "no connection";
    return r;
  }
  const std::string up = RandomBytes(bytes, seed * 2), down = RandomBytes(bytes, seed * 2 + 1);
  ExchangeResult x = Exchange(net, p, up, down, absl::Minutes(30));
  r.retrans = net.a.tcp().mib[TcpMib::kRetransSegs] + net.b.tcp().mib[TcpMib::kRetransSegs];
  if (!x.done) {
    r.why = "did not finish: " + x.Describe();
    return r;
  }
  if (x.b_got != up || x.a_got != down) {
    r.why = "data differs: " + x.Describe();
    return r;
  }
  ClosePair(net, p);
  net.RunFor(absl::Minutes(5));  // FINs, TIME_WAIT, retransmitted FINs
  const size_t left = net.a.tcp().socket_count() + net.b.tcp().socket_count();
  if (left != 0) {
    r.why = "sockets left after close: " + std::to_string(left);
    return r;
  }
  if (net.pool.stats().unaccounted != 0) {
    r.why = "unaccounted packets";
    return r;
  }
  r.ok = true;
  return r;
}

TEST(TcpSim, SeededRunsOverAFaultyLinkDeliverEverythingAndCloseCleanly) {
  int runs = 200;
  if (const char* e = std::getenv("USNET_SIM_RUNS")) runs = std::atoi(e);
  int failed = 0;
  uint64_t retrans = 0;
  for (int seed = 1; seed <= runs; ++seed) {
    SimRun r = RunSeed(static_cast<uint64_t>(seed), 1 << 20);
    retrans += r.retrans;
    if (!r.ok) {
      ++failed;
      ADD_FAILURE() << "seed " << seed << ": " << r.why;
      if (failed >= 5) break;
    }
  }
  EXPECT_EQ(failed, 0);
  EXPECT_GT(retrans, 0u);  // the faults were real
  RecordProperty("retransmissions", static_cast<int>(retrans));
}

}  // namespace
}  // namespace usnet
