#include "net/ipv4/arp.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "net/ethernet/eth.h"
#include "net/ipv4/icmp.h"
#include "net/ipv4/inet.h"
#include "net/wire/arp.h"
#include "net/wire/ethernet.h"

namespace usnet {

std::string_view NudStateName(NudState s) {
  switch (s) {
    case NudState::kNone: return "NONE";
    case NudState::kIncomplete: return "INCOMPLETE";
    case NudState::kReachable: return "REACHABLE";
    case NudState::kStale: return "STALE";
    case NudState::kDelay: return "DELAY";
    case NudState::kProbe: return "PROBE";
    case NudState::kFailed: return "FAILED";
    case NudState::kPermanent: return "PERMANENT";
  }
  return "?";
}

Neighbour::Neighbour(ArpTable* t, Ipv4Addr a, NetDevice* d)
    : table(t),
      ip(a),
      dev(d),
      timer([](void* c) {
              auto* n = static_cast<Neighbour*>(c);
              n->table->OnTimer(*n);
            },
            this) {}

Neighbour::~Neighbour() {
  table->inet_.core().loop().timers().Cancel(timer);
  while (SkbPtr s = arp_queue.PopFront()) {
    table->inet_.core().Drop(std::move(s), DropReason::kNEIGH_DEAD);
  }
}

ArpTable::ArpTable(Inet& inet)
    : inet_(inet), gc_timer_([](void* c) { static_cast<ArpTable*>(c)->Gc(); }, this) {
  inet_.core().AddPacketHandler(kEthPArp, this);
}

ArpTable::~ArpTable() {
  inet_.core().loop().timers().Cancel(gc_timer_);
  table_.clear();
}

absl::Time ArpTable::now() const { return inet_.core().now(); }

absl::Duration ArpTable::RandomReachableTime() {
  // Linux neigh_rand_reach_time: uniform in [base/2, 3*base/2).
  const int64_t base = inet_.config().neigh_base_reachable_time_ms;
  if (base <= 1) return absl::Milliseconds(base);
  const int64_t r = static_cast<int64_t>(inet_.core().rng()() % static_cast<uint64_t>(base));
  return absl::Milliseconds(base / 2 + r);
}

Neighbour& ArpTable::Lookup(Ipv4Addr ip, NetDevice* dev) {
  mib.Inc(ArpMib::kLookups);
  auto& slot = table_[Key{dev->ifindex(), ip.value()}];
  if (slot) {
    mib.Inc(ArpMib::kHits);
  } else {
    slot = std::make_unique<Neighbour>(this, ip, dev);
    slot->updated = slot->used = now();
    mib.Inc(ArpMib::kAllocs);
    if (!gc_timer_.pending()) {
      inet_.core().loop().timers().Arm(
          gc_timer_, now() + absl::Milliseconds(inet_.config().neigh_base_reachable_time_ms / 2));
    }
  }
  return *slot;
}

const Neighbour* ArpTable::Find(Ipv4Addr ip, const NetDevice* dev) const {
  auto it = table_.find(Key{dev->ifindex(), ip.value()});
  return it == table_.end() ? nullptr : it->second.get();
}

void ArpTable::ArmTimer(Neighbour& n, absl::Duration d) {
  inet_.core().loop().timers().Arm(n.timer, now() + d);
}

void ArpTable::SetState(Neighbour& n, NudState s) {
  n.state = s;
  n.updated = now();
}

void ArpTable::Transmit(SkbPtr skb, const Neighbour& n) {
  skb->dev = n.dev;
  EthPushHeader(*skb, n.mac, kEthPIp);
  inet_.core().DevQueueXmit(std::move(skb));
}

void ArpTable::Output(SkbPtr skb, NetDevice* dev, Ipv4Addr next_hop) {
  skb->dev = dev;
  // Broadcast and multicast need no resolution.
  Ipv4Addr dev_addr;
  for (const auto& a : inet_.addresses()) {
    if (a.dev == dev && a.prefix.len < 31 && a.prefix.broadcast() == next_hop) {
      EthPushHeader(*skb, MacAddr::Broadcast(), kEthPIp);
      inet_.core().DevQueueXmit(std::move(skb));
      return;
    }
  }
  if (next_hop.IsBroadcast() || next_hop.IsMulticast()) {
    EthPushHeader(*skb, next_hop.IsBroadcast() ? MacAddr::Broadcast() : EthMulticastMac(next_hop),
                  kEthPIp);
    inet_.core().DevQueueXmit(std::move(skb));
    return;
  }
  Neighbour& n = Lookup(next_hop, dev);
  n.used = now();
  switch (n.state) {
    case NudState::kReachable:
    case NudState::kPermanent:
    case NudState::kDelay:
    case NudState::kProbe:
      Transmit(std::move(skb), n);
      return;
    case NudState::kStale:
      // First use of a stale entry: send now, verify later (Linux
      // __neigh_event_send: STALE -> DELAY).
      SetState(n, NudState::kDelay);
      ArmTimer(n, absl::Seconds(inet_.config().neigh_delay_first_probe_time));
      Transmit(std::move(skb), n);
      return;
    case NudState::kIncomplete:
      Enqueue(n, std::move(skb));
      return;
    case NudState::kNone:
    case NudState::kFailed:
      Enqueue(n, std::move(skb));
      EnterIncomplete(n);
      return;
  }
}

void ArpTable::Enqueue(Neighbour& n, SkbPtr skb) {
  const uint64_t limit = static_cast<uint64_t>(inet_.config().neigh_unres_qlen_bytes);
  // Make room by dropping the oldest (Linux __neigh_event_send).
  while (!n.arp_queue.empty() && n.arp_queue.truesize() + skb->truesize() > limit) {
    mib.Inc(ArpMib::kUnresolvedDiscards);
    inet_.core().Drop(n.arp_queue.PopFront(), DropReason::kNEIGH_QUEUEFULL);
  }
  if (skb->truesize() > limit) {
    mib.Inc(ArpMib::kUnresolvedDiscards);
    inet_.core().Drop(std::move(skb), DropReason::kNEIGH_QUEUEFULL);
    return;
  }
  n.arp_queue.PushBack(std::move(skb));
}

void ArpTable::EnterIncomplete(Neighbour& n) {
  SetState(n, NudState::kIncomplete);
  // Start the probe count at ucast_solicit so that mcast_solicit broadcast
  // requests follow (Linux sets probes = UCAST_PROBES here).
  n.probes = inet_.config().neigh_ucast_solicit;
  Probe(n);
  ArmTimer(n, absl::Milliseconds(std::max(inet_.config().neigh_retrans_time_ms, 10)));
}

void ArpTable::Probe(Neighbour& n) {
  // arp_solicit: broadcast while we know no address (INCOMPLETE), unicast
  // to the cached one when re-validating (PROBE).
  const bool unicast = n.state == NudState::kProbe;
  ++n.probes;
  SendArp(kArpOpRequest, n.dev, n.ip, unicast ? n.mac : MacAddr::Broadcast(), MacAddr(),
          inet_.DeviceAddr(n.dev));
}

void ArpTable::Invalidate(Neighbour& n) {
  mib.Inc(ArpMib::kResFailed);
  // neigh_invalidate: every packet that waited is reported to its sender
  // (arp_error_report -> ICMP host unreachable) and dropped.
  while (SkbPtr s = n.arp_queue.PopFront()) {
    inet_.icmp().Send(*s, kIcmpDestUnreach, kIcmpHostUnreach, 0);
    inet_.core().Drop(std::move(s), DropReason::kNEIGH_FAILED);
  }
}

void ArpTable::OnTimer(Neighbour& n) {
  const Ipv4Config& c = inet_.config();
  const absl::Time t = now();
  const absl::Duration delay_probe = absl::Seconds(c.neigh_delay_first_probe_time);
  const absl::Duration retrans = absl::Milliseconds(std::max(c.neigh_retrans_time_ms, 10));
  switch (n.state) {
    case NudState::kReachable: {
      const absl::Duration reach = RandomReachableTime();
      if (t < n.confirmed + reach) {
        ArmTimer(n, n.confirmed + reach - t);
      } else if (t < n.used + delay_probe) {
        SetState(n, NudState::kDelay);
        ArmTimer(n, delay_probe);
      } else {
        SetState(n, NudState::kStale);
      }
      return;
    }
    case NudState::kDelay:
      if (t < n.confirmed + delay_probe) {
        SetState(n, NudState::kReachable);
        ArmTimer(n, RandomReachableTime());
      } else {
        SetState(n, NudState::kProbe);
        n.probes = 0;
        Probe(n);
        ArmTimer(n, retrans);
      }
      return;
    case NudState::kIncomplete:
    case NudState::kProbe: {
      // neigh_max_probes: INCOMPLETE may use ucast + mcast, PROBE ucast.
      int max = c.neigh_ucast_solicit;
      if (n.state == NudState::kIncomplete) max += c.neigh_mcast_solicit;
      if (n.probes >= max) {
        SetState(n, NudState::kFailed);
        Invalidate(n);
        return;
      }
      Probe(n);
      ArmTimer(n, retrans);
      return;
    }
    default:
      return;
  }
}

void ArpTable::Confirm(Neighbour& n, MacAddr mac, bool reachable) {
  if (n.state == NudState::kPermanent) return;
  const bool had_addr = n.state != NudState::kNone && n.state != NudState::kIncomplete &&
                        n.state != NudState::kFailed;
  const bool changed = !had_addr || n.mac != mac;
  n.mac = mac;
  if (reachable) {
    n.confirmed = now();
    SetState(n, NudState::kReachable);
    ArmTimer(n, RandomReachableTime());
  } else if (changed) {
    // Heard from it without proof that it hears us: usable but unverified.
    SetState(n, NudState::kStale);
    inet_.core().loop().timers().Cancel(n.timer);
  }
  // Resolved: send what waited, in order.
  while (SkbPtr s = n.arp_queue.PopFront()) Transmit(std::move(s), n);
}

void ArpTable::AddPermanent(Ipv4Addr ip, NetDevice* dev, MacAddr mac) {
  Neighbour& n = Lookup(ip, dev);
  inet_.core().loop().timers().Cancel(n.timer);
  n.mac = mac;
  SetState(n, NudState::kPermanent);
  while (SkbPtr s = n.arp_queue.PopFront()) Transmit(std::move(s), n);
}

void ArpTable::FlushDevice(NetDevice* dev) {
  absl::erase_if(table_, [dev](const auto& kv) { return kv.second->dev == dev; });
}

void ArpTable::SendArp(uint16_t op, NetDevice* dev, Ipv4Addr target_ip, MacAddr dest_mac,
                       MacAddr target_mac, Ipv4Addr sender_ip) {
  SkbPtr skb = inet_.core().AllocSkb(kMaxHeaderRoom, kArpLen);
  if (!skb) return;
  skb->dev = dev;
  ArpRepr{op, dev->mac(), sender_ip, target_mac, target_ip}.Emit(skb->Put(kArpLen));
  skb->SetNetworkHeader();
  EthPushHeader(*skb, dest_mac, kEthPArp);
  mib.Inc(op == kArpOpRequest ? ArpMib::kOutRequests : ArpMib::kOutReplies);
  inet_.core().DevQueueXmit(std::move(skb));
}

// arp_rcv + arp_process.
void ArpTable::Rcv(SkbPtr skb) {
  auto v = ArpView::Parse(skb->cspan());
  if (!v || (v->op() != kArpOpRequest && v->op() != kArpOpReply) ||
      v->sender_ip().IsMulticast() || v->target_ip().IsMulticast() ||
      v->target_ip().IsLoopback() || v->sender_mac().IsMulticast()) {
    // (arp_process refuses loopback targets: route_localnet is off.)
    inet_.core().Drop(std::move(skb), DropReason::kARP_INVALID);
    return;
  }
  const ArpRepr arp = ArpRepr::Parse(*v);
  NetDevice* dev = skb->dev;
  if (arp.op == kArpOpRequest) {
    mib.Inc(ArpMib::kInRequests);
    mib.Inc(skb->pkt_type == PacketType::kHost ? ArpMib::kRcvProbesUcast
                                                 : ArpMib::kRcvProbesMcast);
    if (inet_.IsLocal(arp.target_ip)) {
      // Someone asks for one of our addresses: remember them (neigh_event_ns,
      // STALE) unless it is an address probe from 0.0.0.0, and answer.
      if (!arp.sender_ip.IsAny()) Confirm(Lookup(arp.sender_ip, dev), arp.sender_mac, false);
      SendArp(kArpOpReply, dev, arp.sender_ip, arp.sender_mac, arp.sender_mac, arp.target_ip);
      inet_.core().Consume(std::move(skb));
      return;
    }
  } else {
    mib.Inc(ArpMib::kInReplies);
  }
  // Replies, and requests for others: update an entry we already have
  // (arp_accept=0: no new entries from unsolicited traffic). A reply sent to
  // us is proof of two-way reachability.
  auto it = table_.find(Key{dev->ifindex(), arp.sender_ip.value()});
  if (it != table_.end() && !arp.sender_ip.IsAny()) {
    const bool reachable = arp.op == kArpOpReply && skb->pkt_type == PacketType::kHost;
    Confirm(*it->second, arp.sender_mac, reachable);
  }
  inet_.core().Consume(std::move(skb));
}

void ArpTable::Gc() {
  mib.Inc(ArpMib::kPeriodicGcRuns);
  const absl::Time t = now();
  const absl::Duration stale = absl::Seconds(inet_.config().neigh_gc_stale_time);
  size_t before = table_.size();
  absl::erase_if(table_, [&](const auto& kv) {
    const Neighbour& n = *kv.second;
    return (n.state == NudState::kStale || n.state == NudState::kFailed ||
            n.state == NudState::kNone) &&
           n.arp_queue.empty() && t - n.used > stale;
  });
  mib.Inc(ArpMib::kDestroys, before - table_.size());
  if (!table_.empty()) {
    inet_.core().loop().timers().Arm(
        gc_timer_, t + absl::Milliseconds(inet_.config().neigh_base_reachable_time_ms / 2));
  }
}

std::string ArpTable::Format() const {
  std::vector<const Neighbour*> v;
  for (const auto& [k, n] : table_) v.push_back(n.get());
  std::sort(v.begin(), v.end(), [](const Neighbour* a, const Neighbour* b) {
    return std::pair(a->dev->ifindex(), a->ip) < std::pair(b->dev->ifindex(), b->ip);
  });
  std::string out;
  for (const Neighbour* n : v) {
    absl::StrAppend(&out, n->ip.ToString(), " dev ", n->dev->name());
    if (n->state != NudState::kIncomplete && n->state != NudState::kFailed &&
        n->state != NudState::kNone) {
      absl::StrAppend(&out, " lladdr ", n->mac.ToString());
    }
    absl::StrAppend(&out, " ", std::string(NudStateName(n->state)), "\n");
  }
  return out;
}

}  // namespace usnet
