// Two usnet hosts joined by a memlink wire, in virtual time: the fixture
// most protocol tests start from.
//
//   TwoHosts net;                       // a = 10.0.0.1, b = 10.0.0.2 on 10.0.0.0/24
//   ProcessScope in(net.proc_a);
//   int fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
//   net.RunFor(absl::Milliseconds(10));
#pragma once

#include <functional>
#include <memory>

#include "drivers/memlink/memlink.h"
#include "kernel/clock.h"
#include "kernel/event_loop.h"
#include "net/core/skbuff.h"
#include "net/stack.h"
#include "syscalls/process.h"

namespace usnet::testing {

struct TwoHostsOptions {
  uint32_t mtu = 1500;
  uint64_t seed = 1;
  bool offload = false;  // memlink with TSO and checksum offload (veth-like)
  // Wraps each end before it is added to its host (fault injector, pcap).
  std::function<std::unique_ptr<NetDevice>(std::unique_ptr<NetDevice>, int host, EventLoop& loop)>
      wrap;
};

class TwoHosts {
 public:
  explicit TwoHosts(TwoHostsOptions o = {});
  ~TwoHosts();

  void RunFor(absl::Duration d) { loop.RunFor(d); }
  bool RunUntil(const std::function<bool()>& done, absl::Duration limit) {
    return loop.RunUntil(done, clock.Now() + limit);
  }
  absl::Time now() const { return clock.Now(); }
  uint64_t Counter(Stack& s, std::string_view name);

  static Ipv4Addr AddrA() { return Ipv4Addr::FromOctets(10, 0, 0, 1); }
  static Ipv4Addr AddrB() { return Ipv4Addr::FromOctets(10, 0, 0, 2); }

  uint64_t seed_;
  ManualClock clock;
  EventLoop loop{clock};
  SkbPool pool;
  Stack a{loop, pool, "a", seed_ * 2 + 1};
  Stack b{loop, pool, "b", seed_ * 2 + 2};
  NetDevice* dev_a = nullptr;
  NetDevice* dev_b = nullptr;
  Process proc_a{a};
  Process proc_b{b};
};

sockaddr_in SockAddr(Ipv4Addr a, uint16_t port);

}  // namespace usnet::testing
