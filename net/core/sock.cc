#include "net/core/sock.h"

#include <cerrno>
#include <climits>
#include <cstring>

#include "net/core/iov.h"

namespace usnet {

namespace {
// Linux SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF (2048 + an aligned sk_buff).
constexpr uint32_t kMinRcvbuf = 2304;
constexpr uint32_t kMinSndbuf = 4608;

int GetIntOpt(const void* val, socklen_t len, int* out) {
  if (val == nullptr) return -EFAULT;
  if (len < static_cast<socklen_t>(sizeof(int))) return -EINVAL;
  std::memcpy(out, val, sizeof(int));
  return 0;
}

int PutIntOpt(int v, void* val, socklen_t* len) {
  if (val == nullptr || len == nullptr) return -EFAULT;
  if (static_cast<int>(*len) < 0) return -EINVAL;
  socklen_t n = std::min<socklen_t>(*len, sizeof(int));
  std::memcpy(val, &v, n);
  *len = n;
  return 0;
}

// sk_setsockopt SO_RCVBUF/SO_SNDBUF: the value is taken as unsigned and
// clamped to the sysctl maximum (so a negative one asks for the maximum),
// then doubled for overhead (__sock_set_rcvbuf), with a floor.
uint32_t UserBufSize(int v, int sysctl_max, uint32_t floor) {
  const uint32_t u = std::min(static_cast<uint32_t>(v), static_cast<uint32_t>(sysctl_max));
  return std::max(std::min<uint32_t>(u, INT_MAX / 2) * 2, floor);
}

absl::Duration TimevalToDuration(const timeval& tv) {
  if (tv.tv_sec == 0 && tv.tv_usec == 0) return absl::InfiniteDuration();
  return absl::Seconds(tv.tv_sec) + absl::Microseconds(tv.tv_usec);
}

timeval DurationToTimeval(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return timeval{0, 0};
  return absl::ToTimeval(d);
}
}  // namespace

Sock::Sock(NetCore& core, int family, int type, int protocol)
    : core_(core),
      family_(family),
      type_(type),
      protocol_(protocol),
      rcvbuf_(static_cast<uint32_t>(core.config().rmem_default)),
      sndbuf_(static_cast<uint32_t>(core.config().wmem_default)) {}

Sock::~Sock() { PurgeQueues(); }

void Sock::PurgeQueues() {
  while (SkbPtr s = receive_queue_.PopFront()) {
    UnchargeRmem(*s);
    core_.Drop(std::move(s), DropReason::kSOCKET_CLOSE);
  }
  while (SkbPtr s = error_queue_.PopFront()) {
    UnchargeRmem(*s);
    core_.Drop(std::move(s), DropReason::kSOCKET_CLOSE);
  }
}

int Sock::TakeError() {
  int e = err_;
  err_ = 0;
  return -e;
}

void Sock::ReportError(int err) {
  err_ = err;
  Wake();
}

void Sock::QueueError(SkbPtr skb) {
  // sock_queue_err_skb: bounded by the receive buffer.
  if (rmem_alloc_ + skb->truesize() >= rcvbuf_) {
    core_.Drop(std::move(skb), DropReason::kSOCKET_RCVBUFF);
    return;
  }
  ChargeRmem(*skb);
  error_queue_.PushBack(std::move(skb));
  Wake();
}

ssize_t Sock::RecvError(msghdr& msg, int flags) {
  SkbPtr skb = error_queue_.PopFront();
  if (!skb) return -EAGAIN;
  UnchargeRmem(*skb);
  const SockExterrCb& cb = skb->Cb<SockExterrCb>();
  size_t copied = CopyToIovec(core_.ledger(), CopySite::kSkbToUser, msg.msg_iov,
                              msg.msg_iovlen, skb->cspan());
  msg.msg_flags = MSG_ERRQUEUE;
  if (msg.msg_name != nullptr) {
    socklen_t l = msg.msg_namelen;
    PutSockaddrIn(cb.dest, static_cast<sockaddr*>(msg.msg_name), &l);
    msg.msg_namelen = l;
  }
  if (copied < skb->len()) msg.msg_flags |= MSG_TRUNC;
  // The control message: sock_extended_err followed by the offender.
  struct {
    sock_extended_err ee;
    sockaddr_in offender;
  } payload{cb.ee, cb.offender};
  const size_t need = CMSG_SPACE(sizeof(payload));
  if (msg.msg_control != nullptr && msg.msg_controllen >= need) {
    auto* c = reinterpret_cast<cmsghdr*>(msg.msg_control);
    c->cmsg_level = SOL_IP;
    c->cmsg_type = IP_RECVERR;
    c->cmsg_len = CMSG_LEN(sizeof(payload));
    std::memcpy(CMSG_DATA(c), &payload, sizeof(payload));
    msg.msg_controllen = need;
  } else {
    msg.msg_flags |= MSG_CTRUNC;
    msg.msg_controllen = 0;
  }
  // The next queued error (if any) becomes the pending one.
  err_ = error_queue_.empty() ? 0 : error_queue_.front()->Cb<SockExterrCb>().ee.ee_errno;
  size_t ret = (flags & MSG_TRUNC) ? skb->len() : copied;
  core_.Consume(std::move(skb));
  return static_cast<ssize_t>(ret);
}

uint32_t Sock::DatagramPoll(bool has_data, bool writable) {
  uint32_t mask = 0;
  if (err_ != 0 || !error_queue_.empty()) mask |= POLLERR;
  if (shutdown_ & kRcvShutdown) mask |= POLLRDHUP | POLLIN | POLLRDNORM;
  if (shutdown_ == (kRcvShutdown | kSendShutdown)) mask |= POLLHUP;
  if (has_data) mask |= POLLIN | POLLRDNORM;
  if (writable) mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
  return mask;
}

int Sock::SetSockOpt(int level, int name, const void* val, socklen_t len) {
  if (level != SOL_SOCKET) return -ENOPROTOOPT;
  if (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD) {
    if (val == nullptr) return -EFAULT;
    if (len < static_cast<socklen_t>(sizeof(timeval))) return -EINVAL;
    timeval tv;
    std::memcpy(&tv, val, sizeof(tv));
    if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return -EDOM;
    if (tv.tv_sec < 0) {
      tv = timeval{0, 1};  // Linux: a negative timeout means "return at once"
    }
    (name == SO_RCVTIMEO_OLD ? rcvtimeo_ : sndtimeo_) = TimevalToDuration(tv);
    return 0;
  }
  if (name == SO_LINGER) {
    if (val == nullptr) return -EFAULT;
    if (len < static_cast<socklen_t>(sizeof(linger))) return -EINVAL;
    linger l;
    std::memcpy(&l, val, sizeof(l));
    // sk_setsockopt keeps a flag (SOCK_LINGER) and a time: l_onoff reads
    // back as 0 or 1, and turning lingering off keeps the old time.
    linger_.l_onoff = l.l_onoff != 0;
    if (l.l_onoff) linger_.l_linger = l.l_linger;
    return 0;
  }
  int v;
  if (int r = GetIntOpt(val, len, &v); r != 0) return r;
  switch (name) {
    case SO_REUSEADDR: reuseaddr_ = v != 0; return 0;
    case SO_REUSEPORT: reuseport_ = v != 0; return 0;
    case SO_BROADCAST: broadcast_ = v != 0; return 0;
    case SO_KEEPALIVE: keepalive_ = v != 0; return 0;
    case SO_RCVBUF:
      rcvbuf_ = UserBufSize(v, core_.config().rmem_max, kMinRcvbuf);
      return 0;
    case SO_SNDBUF:
      sndbuf_ = UserBufSize(v, core_.config().wmem_max, kMinSndbuf);
      Wake();
      return 0;
    case SO_TYPE:
    case SO_PROTOCOL:
    case SO_DOMAIN:
    case SO_ERROR:
    case SO_ACCEPTCONN:
      return -ENOPROTOOPT;
    default:
      return -ENOPROTOOPT;
  }
}

int Sock::GetSockOpt(int level, int name, void* val, socklen_t* len) {
  if (level != SOL_SOCKET) return -ENOPROTOOPT;
  if (len == nullptr) return -EFAULT;
  if (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD) {
    timeval tv = DurationToTimeval(name == SO_RCVTIMEO_OLD ? rcvtimeo_ : sndtimeo_);
    if (static_cast<int>(*len) < 0) return -EINVAL;
    socklen_t n = std::min<socklen_t>(*len, sizeof(tv));
    if (val == nullptr) return -EFAULT;
    std::memcpy(val, &tv, n);
    *len = n;
    return 0;
  }
  if (name == SO_LINGER) {
    if (static_cast<int>(*len) < 0) return -EINVAL;
    socklen_t n = std::min<socklen_t>(*len, sizeof(linger_));
    if (val == nullptr) return -EFAULT;
    std::memcpy(val, &linger_, n);
    *len = n;
    return 0;
  }
  switch (name) {
    case SO_REUSEADDR: return PutIntOpt(reuseaddr_, val, len);
    case SO_REUSEPORT: return PutIntOpt(reuseport_, val, len);
    case SO_BROADCAST: return PutIntOpt(broadcast_, val, len);
    case SO_KEEPALIVE: return PutIntOpt(keepalive_, val, len);
    case SO_RCVBUF: return PutIntOpt(static_cast<int>(rcvbuf_), val, len);
    case SO_SNDBUF: return PutIntOpt(static_cast<int>(sndbuf_), val, len);
    case SO_TYPE: return PutIntOpt(type_, val, len);
    case SO_PROTOCOL: return PutIntOpt(protocol_, val, len);
    case SO_DOMAIN: return PutIntOpt(family_, val, len);
    case SO_ERROR: return PutIntOpt(-TakeError(), val, len);
    case SO_ACCEPTCONN: return PutIntOpt(0, val, len);
    default: return -ENOPROTOOPT;
  }
}

int Sock::Ioctl(unsigned long request, void* arg) {
  (void)request;
  (void)arg;
  return -ENOTTY;
}

void PutSockaddrIn(const sockaddr_in& sin, sockaddr* addr, socklen_t* len) {
  if (addr == nullptr || len == nullptr) return;
  socklen_t n = std::min<socklen_t>(*len, sizeof(sin));
  if (n > 0) std::memcpy(addr, &sin, n);
  *len = sizeof(sin);
}

int GetSockaddrIn(const sockaddr* addr, socklen_t len, sockaddr_in* out, bool allow_unspec) {
  if (addr == nullptr) return -EFAULT;
  if (len < static_cast<socklen_t>(sizeof(sa_family_t))) return -EINVAL;
  sa_family_t fam;
  std::memcpy(&fam, addr, sizeof(fam));
  if (fam == AF_UNSPEC && allow_unspec) {
    std::memset(out, 0, sizeof(*out));
    if (len >= static_cast<socklen_t>(sizeof(sockaddr_in))) std::memcpy(out, addr, sizeof(*out));
    out->sin_family = AF_UNSPEC;
    return 0;
  }
  if (len < static_cast<socklen_t>(sizeof(sockaddr_in))) return -EINVAL;
  if (fam != AF_INET) return -EAFNOSUPPORT;
  std::memcpy(out, addr, sizeof(*out));
  return 0;
}

}  // namespace usnet
