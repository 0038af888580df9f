// Inet: one host's IPv4 (what Linux keeps in struct netns_ipv4 plus the
// ipv4 code around it). It owns the interface addresses, the routing table,
// the IP-protocol table (inet_protos) and the IPv4 sysctls and counters, and
// the per-protocol parts: ARP, reassembly, ICMP, UDP, ping sockets.
//
// Receive:  ip_rcv -> ip_rcv_finish -> ip_local_deliver -> (ip_defrag) ->
//           ip_local_deliver_finish -> protocol handler   (ip_input.cc)
// Transmit: IpOutput -> (ip_fragment) -> IpFinishOutput2 -> neighbour
//           (arp.cc) -> NetCore::DevQueueXmit              (ip_output.cc)
//
//   Inet inet(core);
//   inet.AddAddress(dev, *Ipv4Prefix::Parse("10.0.0.1/24"));
//   inet.fib().AddDefault(gateway, dev);
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "net/core/net_core.h"
#include "net/core/snmp.h"
#include "net/ipv4/route.h"
#include "net/wire/ipv4.h"

namespace usnet {

class ArpTable;
class IpFrags;
class Sock;
class Icmp;
class Udp;
class Ping;

struct Ipv4Config {
  int ip_default_ttl = 64;
  int ip_local_port_range[2] = {32768, 60999};
  int ip_no_pmtu_disc = 0;
  int ipfrag_time = 30;                       // seconds
  int ipfrag_high_thresh = 4 * 1024 * 1024;   // bytes held by all reassembly queues
  int ipfrag_low_thresh = 3 * 1024 * 1024;
  int icmp_ratelimit = 1000;                  // ms between errors to one peer
  int icmp_ratemask = 6168;                   // types limited (3, 4, 11, 12)
  int icmp_msgs_per_sec = 1000;               // global ICMP token rate
  int icmp_msgs_burst = 50;
  int icmp_echo_ignore_all = 0;
  int icmp_echo_ignore_broadcasts = 1;
  int neigh_base_reachable_time_ms = 30000;   // net.ipv4.neigh.default.*
  int neigh_retrans_time_ms = 1000;
  int neigh_mcast_solicit = 3;
  int neigh_ucast_solicit = 3;
  int neigh_delay_first_probe_time = 5;       // seconds
  int neigh_gc_stale_time = 60;               // seconds
  int neigh_unres_qlen_bytes = 212992;
  int udp_rmem_min = 4096;
  int udp_wmem_min = 4096;
};

// What an ICMP error told us about a packet we sent (passed to the
// protocol that sent it: Linux err_handler).
struct IcmpErr {
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t info = 0;         // next-hop MTU for frag-needed
  Ipv4Addr offender;         // who sent the ICMP error
  Ipv4View inner;            // the quoted IP header
  std::span<const std::byte> inner_l4;  // the quoted transport bytes (>= 8)
};

// A transport protocol's entry in the IP protocol table (net_protocol).
class InetProtocol {
 public:
  virtual ~InetProtocol() = default;
  // skb->data is at the transport header; the network header is set.
  virtual void Rcv(SkbPtr skb) = 0;
  virtual void Err(const IcmpErr& err) { (void)err; }
};

// The parameters of one IP packet to send.
struct IpTxParams {
  Ipv4Addr src;            // 0: the route's preferred source
  Ipv4Addr dst;
  uint8_t protocol = 0;
  int ttl = -1;            // -1: net.ipv4.ip_default_ttl
  uint8_t tos = 0;
  bool df = false;         // set DF
  // Fragment this packet even if DF is set? (Linux skb->ignore_df: an
  // oversized datagram under IP_PMTUDISC_WANT is fragmented without DF.)
  bool ignore_df = false;
};

// Address types (Linux inet_addr_type).
enum class AddrType { kUnicast, kLocal, kBroadcast, kMulticast, kUnreachable };

class Inet final : public PacketHandler {
 public:
  explicit Inet(NetCore& core);
  ~Inet() override;
  Inet(const Inet&) = delete;
  Inet& operator=(const Inet&) = delete;

  NetCore& core() { return core_; }
  Ipv4Config& config() { return config_; }
  Fib& fib() { return fib_; }
  ArpTable& arp() { return *arp_; }
  IpFrags& frags() { return *frags_; }
  Icmp& icmp() { return *icmp_; }
  Udp& udp() { return *udp_; }
  Ping& ping() { return *ping_; }
  NetDevice* loopback() const { return loopback_; }

  // --- Counters ---
  Mib<IpMib> ip_mib;
  Mib<IpExtMib> ipext_mib;
  Mib<IcmpMib> icmp_mib;
  IcmpMsgMib icmpmsg_mib;
  Mib<UdpMib> udp_mib;

  // --- Addresses (devinet) ---
  struct IfAddr {
    NetDevice* dev;
    Ipv4Prefix prefix;
  };
  // Adds `p.addr` on `dev` with the connected route for `p` and the local
  // route for the address (ip addr add). Fails if the address exists.
  absl::Status AddAddress(NetDevice* dev, Ipv4Prefix p);
  const std::vector<IfAddr>& addresses() const { return addrs_; }
  AddrType ClassifyAddr(Ipv4Addr a) const;
  bool IsLocal(Ipv4Addr a) const { return ClassifyAddr(a) == AddrType::kLocal; }
  // The primary address of `dev` (0 if none).
  Ipv4Addr DeviceAddr(const NetDevice* dev) const;

  // --- Protocol table (inet_add_protocol) ---
  void AddProtocol(uint8_t protocol, InetProtocol* handler);
  InetProtocol* FindProtocol(uint8_t protocol) const { return protos_[protocol]; }

  // --- Receive (ip_input.cc) ---
  void Rcv(SkbPtr skb) override;  // ip_rcv
  // ip_local_deliver_finish, also the re-entry point after reassembly.
  void LocalDeliverFinish(SkbPtr skb);

  // --- Transmit (ip_output.cc) ---
  // Route lookup for an outgoing packet (ip_route_output).
  std::optional<RouteResult> RouteOutput(Ipv4Addr dst, Ipv4Addr src = Ipv4Addr()) const;
  // Pushes the IP header in front of skb->data (the transport header),
  // routes (unless the caller already did: `rt`), fragments if needed and
  // sends. Returns 0 or -errno; the skb is consumed or dropped either way.
  int IpOutput(SkbPtr skb, const IpTxParams& p, const RouteResult* rt = nullptr);
  // Sends a packet whose IP header is already at skb->data along `rt`.
  int IpSendRouted(SkbPtr skb, const RouteResult& rt, bool allow_frag);
  uint16_t NextIpId() { return ip_id_++; }

  // --- Sockets (af_inet.cc: inet_create) ---
  // A new AF_INET socket, or -errno (ESOCKTNOSUPPORT, EPROTONOSUPPORT).
  int CreateSocket(int type, int protocol, std::unique_ptr<Sock>* out);
  // SOCK_STREAM sockets come from the TCP layer, which registers here.
  using StreamFactory = std::function<int(std::unique_ptr<Sock>*)>;
  void SetStreamFactory(StreamFactory f) { stream_factory_ = std::move(f); }

 private:
  void RcvFinish(SkbPtr skb, const Ipv4View& ip);
  void LocalDeliver(SkbPtr skb, const Ipv4View& ip);
  std::optional<RouteResult> RouteBroadcast(Ipv4Addr src) const;
  int Fragment(SkbPtr skb, const RouteResult& rt);
  int FinishOutput2(SkbPtr skb, const RouteResult& rt);
  void RegisterSysctls();
  void RegisterMibs();

  NetCore& core_;
  Ipv4Config config_;
  Fib fib_;
  std::vector<IfAddr> addrs_;
  InetProtocol* protos_[256] = {};
  NetDevice* loopback_ = nullptr;
  uint16_t ip_id_;
  std::unique_ptr<ArpTable> arp_;
  std::unique_ptr<IpFrags> frags_;
  std::unique_ptr<Icmp> icmp_;
  std::unique_ptr<Udp> udp_;
  std::unique_ptr<Ping> ping_;
  StreamFactory stream_factory_;
};

}  // namespace usnet
