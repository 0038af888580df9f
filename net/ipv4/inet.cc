#include "net/ipv4/inet.h"

#include <climits>

#include "absl/strings/str_cat.h"
#include "net/core/loopback.h"
#include "net/ipv4/arp.h"
#include "net/ipv4/icmp.h"
#include "net/ipv4/ip_fragment.h"
#include "net/ipv4/ping.h"
#include "net/ipv4/udp.h"
#include "net/wire/ethernet.h"

namespace usnet {

Inet::Inet(NetCore& core) : core_(core), ip_id_(static_cast<uint16_t>(core.rng()())) {
  core_.AddPacketHandler(kEthPIp, this);
  arp_ = std::make_unique<ArpTable>(*this);
  frags_ = std::make_unique<IpFrags>(*this);
  icmp_ = std::make_unique<Icmp>(*this);
  udp_ = std::make_unique<Udp>(*this);
  ping_ = std::make_unique<Ping>(*this);
  RegisterSysctls();
  RegisterMibs();
  // Every host has "lo" with 127.0.0.1/8 (Linux creates it per netns).
  loopback_ = core_.AddDevice(std::make_unique<LoopbackDevice>(core_.loop()));
  (void)AddAddress(loopback_, Ipv4Prefix{Ipv4Addr::FromOctets(127, 0, 0, 1), 8});
}

Inet::~Inet() {
  // Sockets are gone by now; tear down in reverse.
  ping_.reset();
  udp_.reset();
  icmp_.reset();
  frags_.reset();
  arp_.reset();
}

void Inet::RegisterSysctls() {
  SysctlTable& t = core_.sysctl();
  Ipv4Config& c = config_;
  t.AddInt("net.ipv4.ip_default_ttl", &c.ip_default_ttl, 1, 255, "TTL of packets we originate");
  t.AddIntVec("net.ipv4.ip_local_port_range", c.ip_local_port_range, 1, 65535, true,
              "ephemeral ports");
  t.AddInt("net.ipv4.ip_no_pmtu_disc", &c.ip_no_pmtu_disc, 0, 3, "no DF on datagrams");
  t.AddInt("net.ipv4.ipfrag_time", &c.ipfrag_time, 1, INT_MAX, "reassembly timeout (s)");
  t.AddInt("net.ipv4.ipfrag_high_thresh", &c.ipfrag_high_thresh, 0, INT_MAX,
           "reassembly memory limit (bytes)");
  t.AddInt("net.ipv4.ipfrag_low_thresh", &c.ipfrag_low_thresh, 0, INT_MAX);
  t.AddInt("net.ipv4.icmp_ratelimit", &c.icmp_ratelimit, 0, INT_MAX, "ms per ICMP error per peer");
  t.AddInt("net.ipv4.icmp_ratemask", &c.icmp_ratemask, 0, INT_MAX, "ICMP types rate limited");
  t.AddInt("net.ipv4.icmp_msgs_per_sec", &c.icmp_msgs_per_sec, 0, INT_MAX);
  t.AddInt("net.ipv4.icmp_msgs_burst", &c.icmp_msgs_burst, 0, INT_MAX);
  t.AddInt("net.ipv4.icmp_echo_ignore_all", &c.icmp_echo_ignore_all, 0, 1);
  t.AddInt("net.ipv4.icmp_echo_ignore_broadcasts", &c.icmp_echo_ignore_broadcasts, 0, 1);
  t.AddInt("net.ipv4.neigh.default.base_reachable_time_ms", &c.neigh_base_reachable_time_ms, 1,
           INT_MAX);
  t.AddInt("net.ipv4.neigh.default.retrans_time_ms", &c.neigh_retrans_time_ms, 1, INT_MAX);
  t.AddInt("net.ipv4.neigh.default.mcast_solicit", &c.neigh_mcast_solicit, 0, INT_MAX);
  t.AddInt("net.ipv4.neigh.default.ucast_solicit", &c.neigh_ucast_solicit, 0, INT_MAX);
  t.AddInt("net.ipv4.neigh.default.delay_first_probe_time", &c.neigh_delay_first_probe_time, 0,
           INT_MAX);
  t.AddInt("net.ipv4.neigh.default.gc_stale_time", &c.neigh_gc_stale_time, 0, INT_MAX);
  t.AddInt("net.ipv4.neigh.default.unres_qlen_bytes", &c.neigh_unres_qlen_bytes, 0, INT_MAX);
  t.AddInt("net.ipv4.udp_rmem_min", &c.udp_rmem_min, 1, INT_MAX);
  t.AddInt("net.ipv4.udp_wmem_min", &c.udp_wmem_min, 1, INT_MAX);
}

void Inet::RegisterMibs() {
  MibRegistry& r = core_.mibs();
  r.Add("Ip", kIpMibNames, ip_mib.values());
  r.Add("Icmp", kIcmpMibNames, icmp_mib.values());
  std::vector<std::string> msg_names;
  for (int i = 0; i < 256; ++i) msg_names.push_back(absl::StrCat("InType", i));
  for (int i = 0; i < 256; ++i) msg_names.push_back(absl::StrCat("OutType", i));
  r.Add("IcmpMsg", std::move(msg_names), icmpmsg_mib.v);
  r.Add("Udp", kUdpMibNames, udp_mib.values());
  r.Add("IpExt", kIpExtMibNames, ipext_mib.values());
  r.Add("ArpCache", kArpMibNames, arp_->mib.values());
  ip_mib.Set(IpMib::kForwarding, 2);  // 2 = not a router (RFC 1213)
  ip_mib.Set(IpMib::kDefaultTTL, static_cast<uint64_t>(config_.ip_default_ttl));
}

absl::Status Inet::AddAddress(NetDevice* dev, Ipv4Prefix p) {
  for (const IfAddr& a : addrs_) {
    if (a.prefix.addr == p.addr) {
      return absl::AlreadyExistsError(absl::StrCat(p.addr.ToString(), " is already assigned"));
    }
  }
  if (p.addr.IsAny() || p.addr.IsMulticast() || p.addr.IsBroadcast()) {
    return absl::InvalidArgumentError(absl::StrCat(p.addr.ToString(), " cannot be a host address"));
  }
  addrs_.push_back(IfAddr{dev, p});
  // fib_add_ifaddr: the local route for the address (and, for loopback, its
  // whole prefix), the connected route, and the subnet broadcast.
  const bool lo = dev->type() == DeviceType::kLoopback;
  // (Local routes name the address's device, like Linux; output sends them
  // through loopback.)
  (void)fib_.Add(Route{.dst = lo ? p : Ipv4Prefix{p.addr, 32}, .gateway = {}, .dev = dev,
                       .prefsrc = p.addr, .type = RouteType::kLocal});
  if (!lo && p.len < 32) {
    (void)fib_.Add(Route{.dst = p, .gateway = {}, .dev = dev, .prefsrc = p.addr});
    if (p.len < 31) {
      (void)fib_.Add(Route{.dst = Ipv4Prefix{p.broadcast(), 32}, .gateway = {}, .dev = dev,
                           .prefsrc = p.addr, .type = RouteType::kBroadcast});
    }
  }
  return absl::OkStatus();
}

AddrType Inet::ClassifyAddr(Ipv4Addr a) const {
  if (a.IsBroadcast()) return AddrType::kBroadcast;
  if (a.IsMulticast()) return AddrType::kMulticast;
  const Route* r = fib_.Lookup(a);
  if (r == nullptr) return AddrType::kUnreachable;
  if (r->type == RouteType::kLocal) return AddrType::kLocal;
  if (r->type == RouteType::kBroadcast) return AddrType::kBroadcast;
  return AddrType::kUnicast;
}

Ipv4Addr Inet::DeviceAddr(const NetDevice* dev) const {
  for (const IfAddr& a : addrs_) {
    if (a.dev == dev) return a.prefix.addr;
  }
  return Ipv4Addr();
}

void Inet::AddProtocol(uint8_t protocol, InetProtocol* handler) { protos_[protocol] = handler; }

int Inet::CreateSocket(int type, int protocol, std::unique_ptr<Sock>* out) {
  // inet_create's protocol switch: a known type with an unknown protocol is
  // EPROTONOSUPPORT, a type with no inet protocols at all ESOCKTNOSUPPORT.
  switch (type) {
    case SOCK_DGRAM:
      if (protocol == 0 || protocol == IPPROTO_UDP) {
        *out = udp_->CreateSock();
        return 0;
      }
      if (protocol == IPPROTO_ICMP) {
        *out = ping_->CreateSock();
        return 0;
      }
      return -EPROTONOSUPPORT;
    case SOCK_STREAM:
      // TCP is registered by the TCP layer when present.
      if (stream_factory_ && (protocol == 0 || protocol == IPPROTO_TCP)) {
        return stream_factory_(out);
      }
      return -EPROTONOSUPPORT;
    case SOCK_RAW:
      return -EPROTONOSUPPORT;  // raw sockets are not implemented
    default:
      return -ESOCKTNOSUPPORT;
  }
}

}  // namespace usnet
