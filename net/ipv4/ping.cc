#include "net/ipv4/ping.h"

#include <cstring>

#include "net/core/iov.h"
#include "net/ipv4/icmp.h"

namespace usnet {

PingSock::PingSock(Ping& ping) : DgramSock(ping.inet(), SOCK_DGRAM, IPPROTO_ICMP), ping_(ping) {}
PingSock::~PingSock() { Unhash(); }
int PingSock::GetPort(uint16_t ident) { return ping_.GetPort(this, ident); }
void PingSock::Unhash() { ping_.Unhash(this); }

ssize_t PingSock::SendMsg(const msghdr& msg, int flags) {
  // ping_common_sendmsg / ping_v4_sendmsg.
  const size_t len = IovLength(msg.msg_iov, msg.msg_iovlen);
  if (len > 0xffff) return -EMSGSIZE;
  if (len < kIcmpHeaderLen) return -EINVAL;
  if (flags & MSG_OOB) return -EOPNOTSUPP;
  Ipv4Addr dst;
  Port unused;
  if (msg.msg_name != nullptr) {
    if (msg.msg_namelen < static_cast<socklen_t>(sizeof(sockaddr_in))) return -EINVAL;
    sockaddr_in sin;
    std::memcpy(&sin, msg.msg_name, sizeof(sin));
    if (sin.sin_family != AF_INET) return -EAFNOSUPPORT;
    dst = Ipv4Addr(ntohl(sin.sin_addr.s_addr));
  } else if (int r = SendDest(msg, &dst, &unused, false); r < 0) {
    return r;
  }
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
  const size_t ip_len = kIpv4MinHeaderLen + len;
  if (pmtudisc_ >= IP_PMTUDISC_DO && ip_len > rt->mtu) return -EMSGSIZE;

  SkbPtr skb = core_.AllocSkb(kMaxHeaderRoom, len);
  if (!skb) return -ENOBUFS;
  std::byte* p = skb->Put(len);
  CopyFromIovec(core_.ledger(), CopySite::kUserToSkb, p, len, msg.msg_iov, msg.msg_iovlen);
  if (Load8(p) != kIcmpEcho || Load8(p + 1) != 0) {
    core_.Consume(std::move(skb));
    return -EINVAL;
  }
  skb->SetTransportHeader();
  // The kernel owns the identifier and the checksum.
  IcmpRepr{kIcmpEcho, 0, (uint32_t{sport_.value()} << 16) | LoadBe16(p + 6)}.Emit(p, len - kIcmpHeaderLen);
  inet_.icmp_mib.Inc(IcmpMib::kOutMsgs);
  inet_.icmp_mib.Inc(IcmpMib::kOutEchos);
  inet_.icmpmsg_mib.OutInc(kIcmpEcho);
  const Ipv4Addr src = saddr_.IsAny() ? rt->src : saddr_;
  IpTxParams tx = TxParams(src, dst, ip_len, rt->mtu);
  tx.protocol = kIpProtoIcmp;
  if (int r = inet_.IpOutput(std::move(skb), tx, &*rt); r < 0) return r;
  return static_cast<ssize_t>(len);
}

int Ping::GetPort(PingSock* sk, uint16_t ident) {
  auto in_use = [&](uint16_t id) {
    auto it = idents_.find(id);
    if (it == idents_.end()) return false;
    for (PingSock* o : it->second) {
      if (o == sk) continue;
      if (o->reuseaddr() && sk->reuseaddr()) continue;
      if (o->local_addr().IsAny() || sk->local_addr().IsAny() || o->local_addr() == sk->local_addr()) {
        return true;
      }
    }
    return false;
  };
  if (ident == 0) {
    // ping_get_port: walk from the rover, skipping 0 and busy idents.
    for (int i = 0; i < 65536; ++i) {
      uint16_t id = ++rover_;
      if (id == 0) continue;
      if (!in_use(id)) {
        ident = id;
        break;
      }
    }
    if (ident == 0) return -EAGAIN;
  } else if (in_use(ident)) {
    return -EADDRINUSE;
  }
  Unhash(sk);
  sk->sport_ = Port(ident);
  idents_[ident].push_back(sk);
  sk->hashed_ = true;
  return 0;
}

void Ping::Unhash(PingSock* sk) {
  if (!sk->hashed_) return;
  auto it = idents_.find(sk->sport_.value());
  if (it != idents_.end()) {
    std::erase(it->second, sk);
    if (it->second.empty()) idents_.erase(it);
  }
  sk->hashed_ = false;
}

PingSock* Ping::Lookup(uint16_t ident, Ipv4Addr local, Ipv4Addr remote) const {
  auto it = idents_.find(ident);
  if (it == idents_.end()) return nullptr;
  for (PingSock* sk : it->second) {
    if (!sk->local_addr().IsAny() && sk->local_addr() != local) continue;
    if (sk->connected() && sk->remote_addr() != remote) continue;
    return sk;
  }
  return nullptr;
}

void Ping::Rcv(SkbPtr skb) {
  auto ip = Ipv4View::Parse({skb->network_header(), static_cast<size_t>(skb->tail() - skb->network_header())});
  const uint16_t ident = LoadBe16(skb->data() + 4);
  PingSock* sk = Lookup(ident, ip->dst(), ip->src());
  if (sk == nullptr) {
    inet_.core().Drop(std::move(skb), DropReason::kNO_SOCKET);
    return;
  }
  if (!sk->CanEnqueue()) {
    inet_.core().Drop(std::move(skb), DropReason::kSOCKET_RCVBUFF);
    return;
  }
  sk->Enqueue(std::move(skb));
}

void Ping::Err(const IcmpErr& err) {
  // The quoted packet is one of our echo requests: its id is our ident.
  if (err.inner_l4.size() < kIcmpHeaderLen || Load8(err.inner_l4.data()) != kIcmpEcho) return;
  const uint16_t ident = LoadBe16(err.inner_l4.data() + 4);
  PingSock* sk = Lookup(ident, err.inner.src(), err.inner.dst());
  if (sk == nullptr) return;
  // MSG_ERRQUEUE returns the original echo request (header + data).
  sk->IcmpError(err, err.inner_l4, 0);
}

}  // namespace usnet
