#include "tests/support/two_hosts.h"

#include <arpa/inet.h>

#include "kernel/check.h"

namespace usnet::testing {

TwoHosts::TwoHosts(TwoHostsOptions o) : seed_(o.seed) {
  auto [ea, eb] = MemLink::Make(
      loop, {.name = "eth0", .mac = MacAddr::Local(1), .mtu = o.mtu, .offload = o.offload},
      {.name = "eth0", .mac = MacAddr::Local(2), .mtu = o.mtu, .offload = o.offload});
  std::unique_ptr<NetDevice> da = std::move(ea), db = std::move(eb);
  if (o.wrap) {
    da = o.wrap(std::move(da), 0, loop);
    db = o.wrap(std::move(db), 1, loop);
  }
  dev_a = a.AddDevice(std::move(da));
  dev_b = b.AddDevice(std::move(db));
  USNET_CHECK(a.AddAddress("eth0", "10.0.0.1/24").ok());
  USNET_CHECK(b.AddAddress("eth0", "10.0.0.2/24").ok());
}

TwoHosts::~TwoHosts() = default;

uint64_t TwoHosts::Counter(Stack& s, std::string_view name) {
  for (const auto& [n, v] : s.Counters()) {
    if (n == name) return v;
  }
  USNET_CHECK(!"unknown counter");
  return 0;
}

sockaddr_in SockAddr(Ipv4Addr a, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  s.sin_addr.s_addr = htonl(a.value());
  return s;
}

}  // namespace usnet::testing
