#include "net/ipv4/inet_sock.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <cstring>

#include "net/core/byteorder.h"
#include "net/core/iov.h"
#include "net/ipv4/icmp.h"

namespace usnet {

namespace {
sockaddr_in MakeSin(Ipv4Addr a, Port p) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(p.value());
  s.sin_addr.s_addr = htonl(a.value());
  return s;
}
}  // namespace

InetSock::InetSock(Inet& inet, int type, int protocol)
    : Sock(inet.core(), AF_INET, type, protocol), inet_(inet) {}

int InetSock::InetBind(const sockaddr* addr, socklen_t len) {
  // inet_bind: length first, then family (AF_UNSPEC + INADDR_ANY is
  // accepted for compatibility), then the address must be ours.
  if (addr == nullptr) return -EFAULT;
  if (len < static_cast<socklen_t>(sizeof(sockaddr_in))) return -EINVAL;
  sockaddr_in sin;
  std::memcpy(&sin, addr, sizeof(sin));
  if (sin.sin_family != AF_INET) {
    if (sin.sin_family != AF_UNSPEC || sin.sin_addr.s_addr != htonl(INADDR_ANY)) {
      return -EAFNOSUPPORT;
    }
  }
  const Ipv4Addr a(ntohl(sin.sin_addr.s_addr));
  const AddrType t = inet_.ClassifyAddr(a);
  if (!a.IsAny() && t != AddrType::kLocal && t != AddrType::kBroadcast &&
      t != AddrType::kMulticast) {
    return -EADDRNOTAVAIL;
  }
  if (sport_.value() != 0 || !rcv_saddr_.IsAny()) return -EINVAL;  // bound already
  rcv_saddr_ = saddr_ = a;
  if (t == AddrType::kBroadcast || t == AddrType::kMulticast) saddr_ = Ipv4Addr();
  const uint16_t port = ntohs(sin.sin_port);
  if (int r = GetPort(port); r < 0) {
    rcv_saddr_ = saddr_ = Ipv4Addr();
    return r == -EAGAIN ? -EADDRINUSE : r;
  }
  bind_addr_locked_ = !a.IsAny();
  bind_port_locked_ = port != 0;
  return 0;
}

int InetSock::GetName(sockaddr* addr, socklen_t* len, bool peer) {
  if (len == nullptr) return -EFAULT;
  if (static_cast<int>(*len) < 0) return -EINVAL;
  sockaddr_in sin;
  if (peer) {
    if (dport_.value() == 0) return -ENOTCONN;
    sin = MakeSin(daddr_, dport_);
  } else {
    sin = MakeSin(rcv_saddr_.IsAny() ? saddr_ : rcv_saddr_, sport_);
  }
  PutSockaddrIn(sin, addr, len);
  return 0;
}

int InetSock::SetSockOpt(int level, int name, const void* val, socklen_t len) {
  if (level != SOL_IP) return Sock::SetSockOpt(level, name, val, len);
  if (val == nullptr) return -EFAULT;
  int v = 0;
  // Linux accepts a single byte for these (do_ip_setsockopt).
  if (len >= static_cast<socklen_t>(sizeof(int))) {
    std::memcpy(&v, val, sizeof(int));
  } else if (len >= 1) {
    v = *static_cast<const unsigned char*>(val);
  } else {
    return -EINVAL;
  }
  switch (name) {
    case IP_TTL:
      if (v != -1 && (v < 1 || v > 255)) return -EINVAL;
      ttl_ = v;
      return 0;
    case IP_TOS:
      tos_ = static_cast<uint8_t>(v);
      return 0;
    case IP_RECVERR:
      recverr_ = v != 0;
      if (!recverr_) {
        while (SkbPtr s = error_queue_.PopFront()) {
          UnchargeRmem(*s);
          core_.Consume(std::move(s));
        }
      }
      return 0;
    case IP_MTU_DISCOVER:
      if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT) return -EINVAL;
      pmtudisc_ = v;
      return 0;
    case IP_RECVTTL:
      recvttl_ = v != 0;
      return 0;
    default:
      return -ENOPROTOOPT;
  }
}

int InetSock::GetSockOpt(int level, int name, void* val, socklen_t* len) {
  if (level == SOL_SOCKET) return Sock::GetSockOpt(level, name, val, len);
  // udp_getsockopt claims SOL_UDP (usnet implements none of its options).
  if (level == IPPROTO_UDP && protocol_ == IPPROTO_UDP) return -ENOPROTOOPT;
  // ip_getsockopt is where every level the protocol did not claim ends up,
  // and it answers EOPNOTSUPP (ip_setsockopt says ENOPROTOOPT).
  if (level != SOL_IP) return -EOPNOTSUPP;
  int v;
  switch (name) {
    case IP_TTL: v = ttl_ == -1 ? inet_.config().ip_default_ttl : ttl_; break;
    case IP_TOS: v = tos_; break;
    case IP_RECVERR: v = recverr_; break;
    case IP_MTU_DISCOVER: v = pmtudisc_; break;
    case IP_RECVTTL: v = recvttl_; break;
    default: return -ENOPROTOOPT;
  }
  if (len == nullptr || val == nullptr) return -EFAULT;
  if (static_cast<int>(*len) < 0) return -EINVAL;
  // do_ip_getsockopt: a buffer shorter than an int gets one byte if the
  // value fits in it (the counterpart of the byte setsockopt accepts).
  if (*len > 0 && *len < sizeof(int) && v >= 0 && v <= 255) {
    *static_cast<unsigned char*>(val) = static_cast<unsigned char>(v);
    *len = 1;
    return 0;
  }
  socklen_t n = std::min<socklen_t>(*len, sizeof(int));
  std::memcpy(val, &v, n);
  *len = n;
  return 0;
}

IpTxParams InetSock::TxParams(Ipv4Addr src, Ipv4Addr dst, size_t ip_len, uint32_t mtu) const {
  IpTxParams p;
  p.src = src;
  p.dst = dst;
  p.protocol = static_cast<uint8_t>(protocol_ == 0 ? IPPROTO_UDP : protocol_);
  p.ttl = ttl_;
  p.tos = tos_;
  // __ip_make_skb: DF under PMTUDISC_DO/PROBE always; under WANT only if the
  // packet fits (an oversized datagram is fragmented without DF).
  p.df = pmtudisc_ >= IP_PMTUDISC_DO || (pmtudisc_ == IP_PMTUDISC_WANT && ip_len <= mtu &&
                                          !inet_.config().ip_no_pmtu_disc);
  p.ignore_df = pmtudisc_ < IP_PMTUDISC_DO;
  return p;
}

// ---------------------------------------------------------------------------

int DgramSock::SendDest(const msghdr& msg, Ipv4Addr* dst, Port* port, bool port_required) {
  if (msg.msg_name != nullptr) {
    if (msg.msg_namelen < static_cast<socklen_t>(sizeof(sockaddr_in))) return -EINVAL;
    sockaddr_in sin;
    std::memcpy(&sin, msg.msg_name, sizeof(sin));
    if (sin.sin_family != AF_INET && sin.sin_family != AF_UNSPEC) return -EAFNOSUPPORT;
    *dst = Ipv4Addr(ntohl(sin.sin_addr.s_addr));
    *port = Port(ntohs(sin.sin_port));
    if (port_required && port->value() == 0) return -EINVAL;
    return 0;
  }
  if (!connected_) return -EDESTADDRREQ;
  *dst = daddr_;
  *port = dport_;
  return 0;
}

int DgramSock::Connect(const sockaddr* addr, socklen_t len, bool nonblock) {
  (void)nonblock;
  if (addr == nullptr) return -EFAULT;
  if (len < static_cast<socklen_t>(sizeof(sa_family_t))) return -EINVAL;
  sa_family_t fam;
  std::memcpy(&fam, addr, sizeof(fam));
  if (fam == AF_UNSPEC) {
    // __udp_disconnect.
    connected_ = false;
    daddr_ = Ipv4Addr();
    dport_ = Port();
    if (!bind_addr_locked_) rcv_saddr_ = saddr_ = Ipv4Addr();
    if (!bind_port_locked_) {
      Unhash();
      sport_ = Port();
    }
    return 0;
  }
  sockaddr_in sin;
  if (len < static_cast<socklen_t>(sizeof(sin))) return -EINVAL;
  std::memcpy(&sin, addr, sizeof(sin));
  if (sin.sin_family != AF_INET) return -EAFNOSUPPORT;
  Ipv4Addr dst(ntohl(sin.sin_addr.s_addr));
  if (dst.IsAny()) dst = Ipv4Addr::FromOctets(127, 0, 0, 1);  // Linux: INADDR_ANY means loopback
  std::optional<RouteResult> rt = inet_.RouteOutput(dst, rcv_saddr_);
  if (!rt) {
    inet_.ip_mib.Inc(IpMib::kOutNoRoutes);
    return -ENETUNREACH;
  }
  if (rt->type == RouteType::kBroadcast && !broadcast_) return -EACCES;
  if (saddr_.IsAny()) saddr_ = rt->src;
  if (rcv_saddr_.IsAny()) rcv_saddr_ = rt->src;
  if (sport_.value() == 0) {
    if (int r = GetPort(0); r < 0) return r;
  }
  daddr_ = dst;
  dport_ = Port(ntohs(sin.sin_port));
  connected_ = true;
  return 0;
}

void DgramSock::Enqueue(SkbPtr skb) {
  ChargeRmem(*skb);
  receive_queue_.PushBack(std::move(skb));
  // sk_data_ready (sock_def_readable) wakes only if someone sleeps: the
  // readiness mask costs a virtual Poll() per datagram otherwise.
  if (!wq_.empty()) Wake();
}

ssize_t DgramSock::RecvMsg(msghdr& msg, int flags) {
  if (flags & MSG_ERRQUEUE) return RecvError(msg, flags);
  if (flags & MSG_OOB) return -EOPNOTSUPP;
  if (int e = TakeError(); e != 0) return e;
  SkBuff* skb = receive_queue_.front();
  if (skb == nullptr) return (shutdown_ & kRcvShutdown) ? 0 : -EAGAIN;
  const size_t copied = CopyToIovec(core_.ledger(), CopySite::kSkbToUser, msg.msg_iov,
                                    msg.msg_iovlen, skb->cspan());
  msg.msg_flags = copied < skb->len() ? MSG_TRUNC : 0;
  const std::byte* iph = skb->network_header();
  if (msg.msg_name != nullptr) {
    sockaddr_in sin = MakeSin(Ipv4Addr(LoadBe32(iph + 12)), SourcePort(*skb));
    socklen_t l = msg.msg_namelen;
    PutSockaddrIn(sin, static_cast<sockaddr*>(msg.msg_name), &l);
    msg.msg_namelen = l;
  }
  size_t control = 0;
  if (recvttl_) {
    // ip_cmsg_recv: IP_TTL as an int.
    const int ttl = Load8(iph + 8);
    if (msg.msg_control != nullptr && msg.msg_controllen >= CMSG_SPACE(sizeof(int))) {
      auto* c = reinterpret_cast<cmsghdr*>(msg.msg_control);
      c->cmsg_level = SOL_IP;
      c->cmsg_type = IP_TTL;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &ttl, sizeof(int));
      control = CMSG_SPACE(sizeof(int));
    } else {
      msg.msg_flags |= MSG_CTRUNC;
    }
  }
  msg.msg_controllen = control;
  const ssize_t ret = static_cast<ssize_t>((flags & MSG_TRUNC) ? skb->len() : copied);
  if (!(flags & MSG_PEEK)) {
    SkbPtr s = receive_queue_.Unlink(skb);
    UnchargeRmem(*s);
    CountRecv();
    core_.Consume(std::move(s));
  }
  return ret;
}

int DgramSock::Shutdown(int how) {
  // inet_shutdown: SHUT_RD=0 -> RCV, SHUT_WR=1 -> SEND, SHUT_RDWR=2 -> both.
  if (how < SHUT_RD || how > SHUT_RDWR) return -EINVAL;
  shutdown_ |= static_cast<uint32_t>(how + 1);
  Wake();
  // Linux still records the shutdown on an unconnected socket, but says so.
  return connected_ ? 0 : -ENOTCONN;
}

bool DgramSock::Close() {
  Unhash();
  PurgeQueues();
  return true;
}

uint32_t DgramSock::Poll() {
  // sock_writeable: wmem below half of sndbuf (datagrams leave at once here).
  return DatagramPoll(!receive_queue_.empty(), wmem_alloc_ < sndbuf_ / 2);
}

int DgramSock::Ioctl(unsigned long request, void* arg) {
  if (arg == nullptr) return -EFAULT;
  int v;
  switch (request) {
    case SIOCINQ:  // == FIONREAD: the next datagram's size (udp_ioctl)
      v = receive_queue_.empty() ? 0 : static_cast<int>(receive_queue_.front()->len());
      break;
    case SIOCOUTQ:
      v = static_cast<int>(wmem_alloc_);
      break;
    default:
      return -ENOTTY;
  }
  std::memcpy(arg, &v, sizeof(v));
  return 0;
}

void DgramSock::IcmpError(const IcmpErr& err, std::span<const std::byte> payload, uint16_t port) {
  const IcmpErrno e = IcmpToErrno(err.type, err.code);
  if (e.err == 0) return;
  // __udp4_lib_err / ping_err: without IP_RECVERR only hard errors on a
  // connected socket are reported.
  if (!recverr_) {
    if (!e.fatal || !connected_) return;
  } else {
    SkbPtr skb = core_.AllocSkb(0, payload.size());
    if (skb) {
      std::byte* p = skb->Put(payload.size());
      core_.ledger().Copy(CopySite::kIcmp, p, payload.data(), payload.size());
      SockExterrCb& cb = skb->InitCb<SockExterrCb>();
      cb.ee.ee_errno = static_cast<uint32_t>(e.err);
      cb.ee.ee_origin = SO_EE_ORIGIN_ICMP;
      cb.ee.ee_type = err.type;
      cb.ee.ee_code = err.code;
      cb.ee.ee_info = err.info;
      cb.offender = MakeSin(err.offender, Port());
      // ip_recv_error reports the original destination in msg_name.
      cb.dest = MakeSin(err.inner.dst(), Port(port));
      QueueError(std::move(skb));
    }
  }
  ReportError(e.err);
}

}  // namespace usnet
