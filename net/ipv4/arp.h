// ARP and the IPv4 neighbour cache (Linux net/ipv4/arp.c on top of
// net/core/neighbour.c), with Linux's NUD states and timers:
//
//   NONE/FAILED --send--> INCOMPLETE: broadcast requests at 0, 1, 2 s
//     (mcast_solicit, retrans_time); packets wait in a queue bounded by
//     unres_qlen_bytes (oldest dropped: NEIGH_QUEUEFULL).
//   INCOMPLETE --reply--> REACHABLE (queue flushed); --3 s, no reply-->
//     FAILED: queued packets dropped (NEIGH_FAILED), each answered with
//     ICMP host unreachable to its local sender.
//   REACHABLE --reachable_time (base_reachable_time x [0.5, 1.5))--> STALE
//     (or DELAY if used within delay_first_probe_time).
//   STALE --send--> DELAY --5 s unconfirmed--> PROBE: unicast requests at
//     retrans_time (ucast_solicit of them) --> FAILED; any confirmation
//     returns the entry to REACHABLE.
// Unused STALE and FAILED entries are garbage-collected after gc_stale_time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "kernel/timer_wheel.h"
#include "net/core/net_core.h"
#include "net/core/skb_queue.h"
#include "net/core/snmp.h"

namespace usnet {

class Inet;

enum class NudState : uint8_t {
  kNone,
  kIncomplete,
  kReachable,
  kStale,
  kDelay,
  kProbe,
  kFailed,
  kPermanent,
};
std::string_view NudStateName(NudState s);

class ArpTable;

struct Neighbour {
  Neighbour(ArpTable* t, Ipv4Addr a, NetDevice* d);
  ~Neighbour();
  ArpTable* table;
  Ipv4Addr ip;
  NetDevice* dev;
  MacAddr mac;
  NudState state = NudState::kNone;
  absl::Time confirmed;  // last proof of reachability
  absl::Time updated;    // last state change
  absl::Time used;       // last packet sent through it
  int probes = 0;
  SkbQueue arp_queue;    // packets waiting for resolution
  Timer timer;
};

class ArpTable final : public PacketHandler {
 public:
  explicit ArpTable(Inet& inet);
  ~ArpTable() override;

  // arp_rcv.
  void Rcv(SkbPtr skb) override;
  // neigh_output: transmits an IP packet (skb->data at the IP header) to
  // `next_hop` on `dev`, resolving its MAC first if needed.
  void Output(SkbPtr skb, NetDevice* dev, Ipv4Addr next_hop);
  // A permanent entry (ip neigh add ... nud permanent).
  void AddPermanent(Ipv4Addr ip, NetDevice* dev, MacAddr mac);
  // Removes every entry of `dev` (device going away).
  void FlushDevice(NetDevice* dev);

  const Neighbour* Find(Ipv4Addr ip, const NetDevice* dev) const;
  size_t size() const { return table_.size(); }
  // Like `ip neigh show`.
  std::string Format() const;

  Mib<ArpMib> mib;

 private:
  friend struct Neighbour;
  using Key = std::pair<int, uint32_t>;  // (ifindex, address)
  Neighbour& Lookup(Ipv4Addr ip, NetDevice* dev);
  void Transmit(SkbPtr skb, const Neighbour& n);
  void SetState(Neighbour& n, NudState s);
  void EnterIncomplete(Neighbour& n);
  void Enqueue(Neighbour& n, SkbPtr skb);
  void Confirm(Neighbour& n, MacAddr mac, bool reachable);
  void Probe(Neighbour& n);
  void Invalidate(Neighbour& n);
  void OnTimer(Neighbour& n);
  void ArmTimer(Neighbour& n, absl::Duration d);
  void SendArp(uint16_t op, NetDevice* dev, Ipv4Addr target_ip, MacAddr dest_mac,
               MacAddr target_mac, Ipv4Addr sender_ip);
  absl::Duration RandomReachableTime();
  void Gc();
  absl::Time now() const;

  Inet& inet_;
  absl::flat_hash_map<Key, std::unique_ptr<Neighbour>> table_;
  Timer gc_timer_;
};

}  // namespace usnet
