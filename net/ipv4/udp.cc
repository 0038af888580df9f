#include "net/ipv4/udp.h"

#include <cstring>

#include "net/core/iov.h"
#include "net/ipv4/icmp.h"
#include "net/wire/udp.h"

namespace usnet {

// Largest UDP payload in one IPv4 datagram: 65535 - 20 - 8.
inline constexpr size_t kUdpMaxPayload = 65507;

UdpSock::UdpSock(Udp& udp) : DgramSock(udp.inet(), SOCK_DGRAM, IPPROTO_UDP), udp_(udp) {}

UdpSock::~UdpSock() { Unhash(); }

int UdpSock::GetPort(uint16_t port) { return udp_.GetPort(this, port); }
void UdpSock::Unhash() { udp_.Unhash(this); }
void UdpSock::CountRecv() { inet_.udp_mib.Inc(UdpMib::kInDatagrams); }

Port UdpSock::SourcePort(const SkBuff& skb) const {
  return Port(LoadBe16(skb.transport_header()));
}

ssize_t UdpSock::SendMsg(const msghdr& msg, int flags) {
  if (flags & MSG_OOB) return -EOPNOTSUPP;
  const size_t len = IovLength(msg.msg_iov, msg.msg_iovlen);
  if (len > kUdpMaxPayload) return -EMSGSIZE;
  Ipv4Addr dst;
  Port dport;
  if (int r = SendDest(msg, &dst, &dport, true); r < 0) return r;
  if (shutdown_ & kSendShutdown) return -EPIPE;
  if (int e = TakeError(); e != 0) return e;
  if (sport_.value() == 0) {
    if (int r = GetPort(0); r < 0) return r;
  }
  std::optional<RouteResult> rt = inet_.RouteOutput(dst, rcv_saddr_);
  if (!rt) {
    inet_.ip_mib.Inc(IpMib::kOutNoRoutes);
    return -ENETUNREACH;
  }
  if (rt->type == RouteType::kBroadcast && !broadcast_) return -EACCES;
  const size_t ip_len = kIpv4MinHeaderLen + kUdpHeaderLen + len;
  if (pmtudisc_ >= IP_PMTUDISC_DO && ip_len > rt->mtu) return -EMSGSIZE;
  const Ipv4Addr src = saddr_.IsAny() ? rt->src : saddr_;

  SkbPtr skb = core_.AllocSkb(kMaxHeaderRoom, kUdpHeaderLen + len);
  if (!skb) {
    inet_.udp_mib.Inc(UdpMib::kSndbufErrors);
    return -ENOBUFS;
  }
  (void)skb->Put(kUdpHeaderLen);
  std::byte* payload = skb->Put(len);
  CopyFromIovec(core_.ledger(), CopySite::kUserToSkb, payload, len, msg.msg_iov, msg.msg_iovlen);
  skb->SetTransportHeader();
  UdpRepr repr{sport_, dport, len};
  if (rt->dev->has_feature(kFeatureHwCsum) && rt->mtu >= ip_len) {
    repr.EmitPartial(skb->data(), src, dst);
    skb->ip_summed = CsumState::kPartial;
    skb->csum_start = static_cast<uint32_t>(skb->data() - skb->head());
    skb->csum_offset = 6;
  } else {
    repr.Emit(skb->data(), src, dst);
  }
  const int r = inet_.IpOutput(std::move(skb), TxParams(src, dst, ip_len, rt->mtu), &*rt);
  if (r < 0) {
    if (r == -ENOBUFS) inet_.udp_mib.Inc(UdpMib::kSndbufErrors);
    return r;
  }
  inet_.udp_mib.Inc(UdpMib::kOutDatagrams);
  return static_cast<ssize_t>(len);
}

// ---------------------------------------------------------------------------

Udp::Udp(Inet& inet) : inet_(inet) { inet_.AddProtocol(kIpProtoUdp, this); }

size_t Udp::sockets() const {
  size_t n = 0;
  for (const auto& [p, v] : ports_) n += v.size();
  return n;
}

bool Udp::InUse(const UdpSock* sk, uint16_t port) const {
  auto it = ports_.find(port);
  if (it == ports_.end()) return false;
  for (const UdpSock* o : it->second) {
    if (o == sk) continue;
    // udp_lib_lport_inuse: sharing needs SO_REUSEADDR or SO_REUSEPORT on both.
    if (o->reuseaddr() && sk->reuseaddr()) continue;
    if (o->reuseport() && sk->reuseport()) continue;
    if (o->local_addr().IsAny() || sk->local_addr().IsAny() || o->local_addr() == sk->local_addr()) {
      return true;
    }
  }
  return false;
}

int Udp::GetPort(UdpSock* sk, uint16_t port) {
  if (port == 0) {
    // A random start in ip_local_port_range, then the next free one.
    const int lo = inet_.config().ip_local_port_range[0];
    const int hi = inet_.config().ip_local_port_range[1];
    const uint32_t n = static_cast<uint32_t>(hi - lo + 1);
    const uint32_t start = static_cast<uint32_t>(inet_.core().rng()() % n);
    for (uint32_t i = 0; i < n && port == 0; ++i) {
      const uint16_t p = static_cast<uint16_t>(lo + (start + i) % n);
      if (!InUse(sk, p)) port = p;
    }
    if (port == 0) return -EAGAIN;
  } else if (InUse(sk, port)) {
    return -EADDRINUSE;
  }
  Unhash(sk);
  sk->sport_ = Port(port);
  ports_[port].push_back(sk);
  sk->hashed_ = true;
  return 0;
}

void Udp::Unhash(UdpSock* sk) {
  if (!sk->hashed_) return;
  auto it = ports_.find(sk->sport_.value());
  if (it != ports_.end()) {
    std::erase(it->second, sk);
    if (it->second.empty()) ports_.erase(it);
  }
  sk->hashed_ = false;
}

// compute_score: -1 = no match; more specific bindings score higher.
int Udp::Score(const UdpSock* sk, Ipv4Addr saddr, Port sport, Ipv4Addr daddr) {
  int score = 0;
  if (!sk->local_addr().IsAny()) {
    if (sk->local_addr() != daddr) return -1;
    score += 4;
  }
  if (sk->connected()) {
    if (sk->remote_addr() != saddr || sk->remote_port() != sport) return -1;
    score += 8;
  }
  return score;
}

UdpSock* Udp::Lookup(Ipv4Addr saddr, Port sport, Ipv4Addr daddr, Port dport) const {
  auto it = ports_.find(dport.value());
  if (it == ports_.end()) return nullptr;
  UdpSock* best = nullptr;
  int best_score = -1;
  for (UdpSock* sk : it->second) {
    int s = Score(sk, saddr, sport, daddr);
    if (s > best_score) {
      best = sk;
      best_score = s;
    }
  }
  return best;
}

void Udp::Deliver(UdpSock* sk, SkbPtr skb) {
  if (!sk->CanEnqueue()) {
    inet_.udp_mib.Inc(UdpMib::kRcvbufErrors);
    inet_.udp_mib.Inc(UdpMib::kInErrors);
    inet_.core().Drop(std::move(skb), DropReason::kSOCKET_RCVBUFF);
    return;
  }
  sk->Enqueue(std::move(skb));
}

void Udp::Rcv(SkbPtr skb) {
  Mib<UdpMib>& mib = inet_.udp_mib;
  auto udp = UdpView::Parse(skb->cspan());
  if (!udp) {
    mib.Inc(UdpMib::kInErrors);
    inet_.core().Drop(std::move(skb), DropReason::kPKT_TOO_SMALL);
    return;
  }
  // ip_rcv validated the network header; read the addresses straight off it.
  const std::byte* iph = skb->network_header();
  const Ipv4Addr saddr(LoadBe32(iph + 12)), daddr(LoadBe32(iph + 16));
  if (skb->ip_summed != CsumState::kUnnecessary && !udp->ChecksumValid(saddr, daddr)) {
    mib.Inc(UdpMib::kInCsumErrors);
    mib.Inc(UdpMib::kInErrors);
    inet_.core().Drop(std::move(skb), DropReason::kUDP_CSUM);
    return;
  }
  const Port sport = udp->src_port(), dport = udp->dst_port();
  (void)skb->Trim(udp->length());
  skb->SetTransportHeader();
  (void)skb->Pull(kUdpHeaderLen);
  const AddrType dt = inet_.ClassifyAddr(daddr);
  if (dt == AddrType::kBroadcast || dt == AddrType::kMulticast ||
      skb->pkt_type == PacketType::kBroadcast || skb->pkt_type == PacketType::kMulticast) {
    DeliverMulti(std::move(skb), saddr, sport, daddr, dport);
    return;
  }
  UdpSock* sk = Lookup(saddr, sport, daddr, dport);
  if (sk == nullptr) {
    mib.Inc(UdpMib::kNoPorts);
    inet_.icmp().Send(*skb, kIcmpDestUnreach, kIcmpPortUnreach, 0);
    inet_.core().Drop(std::move(skb), DropReason::kNO_SOCKET);
    return;
  }
  Deliver(sk, std::move(skb));
}

void Udp::DeliverMulti(SkbPtr skb, Ipv4Addr saddr, Port sport, Ipv4Addr daddr, Port dport) {
  // __udp4_lib_mcast_deliver: every matching socket gets the datagram.
  std::vector<UdpSock*> targets;
  if (auto it = ports_.find(dport.value()); it != ports_.end()) {
    for (UdpSock* sk : it->second) {
      // A socket bound to a unicast address does not see broadcasts.
      if (!sk->local_addr().IsAny() && sk->local_addr() != daddr) continue;
      if (sk->connected() && (sk->remote_addr() != saddr || sk->remote_port() != sport)) continue;
      targets.push_back(sk);
    }
  }
  if (targets.empty()) {
    inet_.udp_mib.Inc(UdpMib::kIgnoredMulti);
    inet_.core().Consume(std::move(skb));
    return;
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    SkbPtr s = (i + 1 == targets.size()) ? std::move(skb) : inet_.core().pool().Clone(*skb);
    Deliver(targets[i], std::move(s));
  }
}

void Udp::Err(const IcmpErr& err) {
  if (err.inner_l4.size() < kUdpHeaderLen) return;
  // Our datagram went from inner.src:sport to inner.dst:dport.
  const Port sport(LoadBe16(err.inner_l4.data()));
  const Port dport(LoadBe16(err.inner_l4.data() + 2));
  UdpSock* sk = Lookup(err.inner.dst(), dport, err.inner.src(), sport);
  if (sk == nullptr) return;
  sk->IcmpError(err, err.inner_l4.subspan(kUdpHeaderLen), dport.value());
}

}  // namespace usnet
