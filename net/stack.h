// Stack: one usnet host (a Linux network namespace): NetCore (devices,
// dispatch, counters, sysctls), Ethernet, and IPv4 with its protocols.
// Many stacks can share one event loop and skb pool, joined by memlink
// wires: that is how tests, benchmarks and the demo run several hosts in
// one process.
//
//   ManualClock clock; EventLoop loop(clock); SkbPool pool;
//   Stack a(loop, pool, "a", 1);
//   NetDevice* eth0 = a.AddDevice(std::move(link_end));
//   a.AddAddress("eth0", "10.0.0.1/24");
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "net/core/net_core.h"
#include "net/ethernet/eth.h"
#include "net/ipv4/inet.h"
#include "net/ipv4/tcp.h"

namespace usnet {

class Stack {
 public:
  Stack(EventLoop& loop, SkbPool& pool, std::string name, uint64_t seed);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  const std::string& name() const { return core_.hostname(); }
  NetCore& core() { return core_; }
  Inet& inet() { return *inet_; }
  Tcp& tcp() { return *tcp_; }
  EventLoop& loop() { return core_.loop(); }
  SysctlTable& sysctl() { return core_.sysctl(); }

  NetDevice* AddDevice(std::unique_ptr<NetDevice> dev) { return core_.AddDevice(std::move(dev)); }
  // `ip addr add PREFIX dev DEV`.
  absl::Status AddAddress(std::string_view dev, std::string_view prefix);
  // `ip route add PREFIX [via GW] dev DEV`; PREFIX may be "default".
  absl::Status AddRoute(std::string_view prefix, std::string_view gateway, std::string_view dev);

  // Every counter, nstat-named (Ip*, Icmp*, Udp*, ..., Drop_*).
  std::vector<std::pair<std::string, uint64_t>> Counters();
  // Interfaces with their packet and NAPI statistics (like `ip -s link`).
  std::string FormatDevices() const;
  // The copy ledger as a table.
  std::string FormatCopies() const;

 private:
  NetCore core_;
  EthLinkLayer eth_;
  std::unique_ptr<Inet> inet_;
  std::unique_ptr<Tcp> tcp_;
};

}  // namespace usnet
