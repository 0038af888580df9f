// The TCP socket calls (Linux net/ipv4/tcp.c, af_inet.c's stream parts,
// inet_connection_sock.c's listen/accept) and the protocol's setup.
#include "net/ipv4/tcp.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "net/core/iov.h"

namespace usnet {

namespace {
constexpr uint32_t kInitCwnd = 10;                  // TCP_INIT_CWND (RFC 6928)
constexpr uint32_t kInfiniteSsthresh = 0x7fffffff;  // TCP_INFINITE_SSTHRESH
constexpr int kMinMss = 88;                         // TCP_MIN_MSS
constexpr int kMaxWindow = 32767;                   // MAX_TCP_WINDOW
constexpr uint8_t kAckSched = 1, kAckNow = 8;
constexpr uint32_t kTcpTimestampAlignedLen = 12;  // TCPOLEN_TSTAMP_ALIGNED

int IntOpt(const void* val, socklen_t len, int* out) {
  if (val == nullptr) return -EFAULT;
  if (static_cast<int>(len) < static_cast<int>(sizeof(int))) return -EINVAL;
  std::memcpy(out, val, sizeof(int));
  return 0;
}
int PutInt(int v, void* val, socklen_t* len) {
  if (len == nullptr || val == nullptr) return -EFAULT;
  if (static_cast<int>(*len) < 0) return -EINVAL;
  socklen_t n = std::min<socklen_t>(*len, sizeof(int));
  std::memcpy(val, &v, n);
  *len = n;
  return 0;
}
}  // namespace

std::string_view TcpStateName(TcpState s) {
  switch (s) {
    case TcpState::kEstablished:
      return "ESTAB";
    case TcpState::kSynSent:
      return "SYN-SENT";
    case TcpState::kSynRecv:
      return "SYN-RECV";
    case TcpState::kFinWait1:
      return "FIN-WAIT-1";
    case TcpState::kFinWait2:
      return "FIN-WAIT-2";
    case TcpState::kTimeWait:
      return "TIME-WAIT";
    case TcpState::kClose:
      return "UNCONN";
    case TcpState::kCloseWait:
      return "CLOSE-WAIT";
    case TcpState::kLastAck:
      return "LAST-ACK";
    case TcpState::kListen:
      return "LISTEN";
    case TcpState::kClosing:
      return "CLOSING";
    case TcpState::kNewSynRecv:
      return "NEW-SYN-RECV";
  }
  return "?";
}

// ---------------------------------------------------------------------------
// The protocol

Tcp::Tcp(Inet& inet)
    : inet_(inet),
      secrets_(SecureSeqSecrets::Random(inet.core().rng())),
      cookie_keys_(SynCookieKeys::Random(inet.core().rng())) {
  inet_.AddProtocol(kIpProtoTcp, this);
  inet_.SetStreamFactory([this](std::unique_ptr<Sock>* out) {
    *out = std::make_unique<TcpSock>(*this);
    return 0;
  });
  RegisterSysctls();
  RegisterMibs();
}

Tcp::~Tcp() {
  inet_.SetStreamFactory(nullptr);
  // Mini sockets and orphans belong to us; sockets with a descriptor were
  // closed by their files before the host went away.
  for (auto& [t, e] : ehash_) {
    if (e.kind == EhashEntry::kRequest) delete static_cast<TcpRequestSock*>(e.p);
    if (e.kind == EhashEntry::kTimewait) delete static_cast<TcpTimewaitSock*>(e.p);
  }
  ehash_.clear();
  tw_ports_.clear();
  // Every TcpSock is in all_ (hashed or not); collect before deleting, as
  // each destructor erases itself from all_. (Linear: a host torn down
  // with a million orphans must not take a quadratic de-duplication.)
  std::vector<TcpSock*> orphans;
  for (TcpSock* sk : all_) {
    if (sk->orphan_) orphans.push_back(sk);
  }
  for (TcpSock* sk : orphans) {
    sk->in_ehash_ = false;
    core().loop().CancelDefer(&sk->destroy_work_);
    delete sk;
  }
}

void Tcp::RegisterSysctls() {
  SysctlTable& t = core().sysctl();
  TcpConfig& c = config_;
  t.AddInt("net.ipv4.tcp_syncookies", &c.tcp_syncookies, 0, 2,
           "0 never, 1 when the SYN queue is full, 2 always");
  t.AddInt("net.ipv4.tcp_max_syn_backlog", &c.tcp_max_syn_backlog, 0, INT_MAX);
  t.AddInt("net.ipv4.tcp_synack_retries", &c.tcp_synack_retries, 0, 255);
  t.AddInt("net.ipv4.tcp_syn_retries", &c.tcp_syn_retries, 1, 127);
  t.AddInt("net.ipv4.tcp_syn_linear_timeouts", &c.tcp_syn_linear_timeouts, 0, 127);
  t.AddInt("net.ipv4.tcp_abort_on_overflow", &c.tcp_abort_on_overflow, 0, 1);
  t.AddInt("net.ipv4.tcp_timestamps", &c.tcp_timestamps, 0, 2);
  t.AddInt("net.ipv4.tcp_sack", &c.tcp_sack, 0, 1);
  t.AddInt("net.ipv4.tcp_dsack", &c.tcp_dsack, 0, 1);
  t.AddInt("net.ipv4.tcp_window_scaling", &c.tcp_window_scaling, 0, 1);
  t.AddIntVec("net.ipv4.tcp_rmem", c.tcp_rmem, 1, INT_MAX, true);
  t.AddIntVec("net.ipv4.tcp_wmem", c.tcp_wmem, 1, INT_MAX, true);
  t.AddInt("net.ipv4.tcp_fin_timeout", &c.tcp_fin_timeout, 1, INT_MAX);
  t.AddInt("net.ipv4.tcp_keepalive_time", &c.tcp_keepalive_time, 1, 32767);
  t.AddInt("net.ipv4.tcp_keepalive_intvl", &c.tcp_keepalive_intvl, 1, 32767);
  t.AddInt("net.ipv4.tcp_keepalive_probes", &c.tcp_keepalive_probes, 1, 127);
  t.AddInt("net.ipv4.tcp_retries1", &c.tcp_retries1, 0, 255);
  t.AddInt("net.ipv4.tcp_retries2", &c.tcp_retries2, 0, 255);
  t.AddInt("net.ipv4.tcp_orphan_retries", &c.tcp_orphan_retries, 0, 255);
  t.AddInt("net.ipv4.tcp_reordering", &c.tcp_reordering, 1, 300);
  t.AddInt("net.ipv4.tcp_slow_start_after_idle", &c.tcp_slow_start_after_idle, 0, 1);
  t.AddInt("net.ipv4.tcp_adv_win_scale", &c.tcp_adv_win_scale, -31, 31);
  t.AddInt("net.ipv4.tcp_moderate_rcvbuf", &c.tcp_moderate_rcvbuf, 0, 1);
  t.AddInt("net.ipv4.tcp_min_tso_segs", &c.tcp_min_tso_segs, 1, 255);
  t.AddInt("net.ipv4.tcp_tso_win_divisor", &c.tcp_tso_win_divisor, 0, 255);
  t.AddInt("net.ipv4.tcp_tso_rtt_log", &c.tcp_tso_rtt_log, 0, 255);
  t.AddInt("net.ipv4.tcp_rto_min_us", &c.tcp_rto_min_us, 1000, INT_MAX);
  t.AddInt("net.ipv4.tcp_rto_max_ms", &c.tcp_rto_max_ms, 1000, 120000);
  t.AddInt("net.ipv4.tcp_delack_min_us", &c.tcp_delack_min_us, 0, 200000);
  t.AddInt("net.ipv4.tcp_base_mss", &c.tcp_base_mss, 1, INT_MAX);
  t.AddInt("net.ipv4.tcp_max_tw_buckets", &c.tcp_max_tw_buckets, 0, INT_MAX);
  t.AddInt("net.ipv4.tcp_rfc1337", &c.tcp_rfc1337, 0, 1);
  t.AddInt("net.ipv4.tcp_challenge_ack_limit", &c.tcp_challenge_ack_limit, 0, INT_MAX);
  t.AddInt("net.ipv4.tcp_invalid_ratelimit", &c.tcp_invalid_ratelimit, 0, INT_MAX);
  t.AddString("net.ipv4.tcp_congestion_control", &c.tcp_congestion_control,
              [](std::string_view v) -> absl::Status {
                if (MakeCongestionControl(v) == nullptr) {
                  return absl::InvalidArgumentError(
                      absl::StrCat("no congestion control '", std::string(v), "'"));
                }
                return absl::OkStatus();
              });
}

void Tcp::RegisterMibs() {
  MibRegistry& r = core().mibs();
  r.Add("Tcp", kTcpMibNames, mib.values());
  r.Add("TcpExt", kTcpExtMibNames, ext.values());
  mib.Set(TcpMib::kRtoAlgorithm, 1);
  mib.Set(TcpMib::kRtoMin, 200);
  mib.Set(TcpMib::kRtoMax, 120000);
  mib.Set(TcpMib::kMaxConn, static_cast<uint64_t>(-1));
}

uint16_t Tcp::AdvMss(Ipv4Addr dst, uint16_t user_mss) const {
  std::optional<RouteResult> rt = inet_.RouteOutput(dst);
  uint32_t mss = (rt ? rt->mtu : 576) - kIpv4MinHeaderLen - kTcpMinHeaderLen;
  if (user_mss) mss = std::min<uint32_t>(mss, user_mss);
  return static_cast<uint16_t>(std::min<uint32_t>(mss, 65535));
}

// tcp_select_initial_window, with Linux 6.x's default 50% window share of
// the receive buffer: the SYN offers rounddown(tcp_rmem[1] / 2, mss), and
// the scale is what tcp_rmem[2] (or rmem_max) needs.
void Tcp::InitialWindow(uint32_t mss, bool wscale_ok, uint32_t* rcv_wnd,
                        uint8_t* rcv_wscale) const {
  const uint32_t space = static_cast<uint32_t>(config_.tcp_rmem[1]);
  const int adv = config_.tcp_adv_win_scale;
  const uint32_t win = adv > 0 ? space - (space >> adv) : space >> -adv;
  *rcv_wnd = (win / std::max<uint32_t>(mss, 1)) * mss;
  *rcv_wscale = 0;
  if (wscale_ok) {
    const uint32_t s = std::max<uint32_t>(config_.tcp_rmem[2],
                                          static_cast<uint32_t>(inet_.core().config().rmem_max));
    *rcv_wscale =
        static_cast<uint8_t>(std::clamp(static_cast<int>(std::bit_width(s)) - 1 - 15, 0, 14));
  }
}

// ---------------------------------------------------------------------------
// Sockets

TcpSock::TcpSock(Tcp& tcp)
    : InetSock(tcp.inet(), SOCK_STREAM, IPPROTO_TCP),
      tcp_(tcp),
      rto_(absl::Seconds(1)),
      rtx_timer_([](void* c) { static_cast<TcpSock*>(c)->OnRetransmitTimer(); }, this),
      delack_timer_([](void* c) { static_cast<TcpSock*>(c)->OnDelackTimer(); }, this),
      keepalive_timer_([](void* c) { static_cast<TcpSock*>(c)->OnKeepaliveTimer(); }, this) {
  const TcpConfig& c = tcp.config();
  rcvbuf_ = static_cast<uint32_t>(c.tcp_rmem[1]);
  sndbuf_ = static_cast<uint32_t>(c.tcp_wmem[1]);
  reordering_ = static_cast<uint32_t>(c.tcp_reordering);
  // tcp_init_sock: mdev starts at the initial RTO (TCP_INFO's tcpi_rttvar
  // reads 250000 before the first RTT sample replaces it).
  mdev_us_ = static_cast<uint32_t>(absl::ToInt64Microseconds(rto_));
  cc_.snd_cwnd = kInitCwnd;
  cc_.snd_ssthresh = kInfiniteSsthresh;
  cc_.snd_cwnd_clamp = UINT32_MAX;
  cc_.mss = mss_cache_;
  ca_ = MakeCongestionControl(c.tcp_congestion_control);
  if (!ca_) ca_ = MakeCongestionControl("reno");
  ++tcp.sockets_;
  tcp.all_.insert(this);
}

TcpSock::~TcpSock() {
  Tcp& t = tcp_;
  t.timers().Cancel(rtx_timer_);
  t.timers().Cancel(delack_timer_);
  t.timers().Cancel(keepalive_timer_);
  t.core().loop().CancelDefer(&destroy_work_);
  for (SkbQueue* q : {&write_queue_, &rtx_queue_, &ofo_queue_}) {
    while (SkbPtr s = q->PopFront()) core_.Drop(std::move(s), DropReason::kQUEUE_PURGE);
  }
  rmem_alloc_ = 0;
  if (state_ == TcpState::kListen) {
    t.listeners_[sport_.value()].erase(
        std::remove(t.listeners_[sport_.value()].begin(), t.listeners_[sport_.value()].end(), this),
        t.listeners_[sport_.value()].end());
    if (t.listeners_[sport_.value()].empty()) t.listeners_.erase(sport_.value());
  }
  while (TcpSock* child = accept_queue_.pop_front()) {
    child->parent_ = nullptr;
    child->SendActiveReset();
    delete child;
  }
  t.UnhashEstablished(this);
  t.PutPort(this);
  if (parent_ != nullptr) parent_->accept_queue_.erase(this);
  --t.sockets_;
  t.all_.erase(this);
}

int TcpSock::Bind(const sockaddr* addr, socklen_t len) {
  if (state_ != TcpState::kClose) return -EINVAL;
  return InetBind(addr, len);
}

int TcpSock::GetPort(uint16_t port) { return tcp_.GetPort(this, port); }
void TcpSock::Unhash() { tcp_.PutPort(this); }

int TcpSock::GetName(sockaddr* addr, socklen_t* len, bool peer) {
  // A TCP peer name exists only while connected (or connecting done).
  if (peer &&
      (state_ == TcpState::kClose || state_ == TcpState::kSynSent || state_ == TcpState::kListen)) {
    if (len == nullptr) return -EFAULT;
    return -ENOTCONN;
  }
  return InetSock::GetName(addr, len, peer);
}

// inet_stream_connect + tcp_v4_connect.
int TcpSock::Connect(const sockaddr* addr, socklen_t len, bool nonblock) {
  if (addr == nullptr) return -EFAULT;
  if (static_cast<int>(len) < static_cast<int>(sizeof(sa_family_t))) return -EINVAL;
  sa_family_t fam;
  std::memcpy(&fam, addr, sizeof(fam));
  if (fam == AF_UNSPEC) {
    // tcp_disconnect.
    if (state_ != TcpState::kClose && state_ != TcpState::kListen) {
      if (state_ != TcpState::kSynSent) SendActiveReset();
      Done();
      done_ = false;
      shutdown_ = 0;
    }
    ss_state_ = SsState::kUnconnected;
    return 0;
  }
  switch (ss_state_) {
    case SsState::kConnected:
      return -EISCONN;
    case SsState::kConnecting:
      if (state_ == TcpState::kSynSent || state_ == TcpState::kSynRecv) {
        if (nonblock) return -EALREADY;
        return -EINPROGRESS;  // the syscall layer waits
      }
      if (state_ == TcpState::kClose) {
        // The attempt failed meanwhile: report how, once, then disconnect
        // (tcp_disconnect clears the shutdown and SOCK_DONE that tcp_done
        // left) so that a later connect() is a fresh attempt.
        ss_state_ = SsState::kUnconnected;
        const int e = TakeError();
        shutdown_ = 0;
        done_ = false;
        return e != 0 ? e : -ECONNABORTED;
      }
      // The attempt completed since the last call: this call reports it
      // with 0 (__inet_stream_connect); the next one says EISCONN.
      ss_state_ = SsState::kConnected;
      return 0;
    case SsState::kDisconnecting:
      return -EINVAL;
    case SsState::kUnconnected:
      break;
  }
  if (state_ != TcpState::kClose) return -EISCONN;
  if (static_cast<int>(len) < static_cast<int>(sizeof(sockaddr_in))) return -EINVAL;
  sockaddr_in sin;
  std::memcpy(&sin, addr, sizeof(sin));
  if (sin.sin_family != AF_INET) return -EAFNOSUPPORT;
  Ipv4Addr dst(ntohl(sin.sin_addr.s_addr));
  if (dst.IsAny()) dst = Ipv4Addr::FromOctets(127, 0, 0, 1);  // as Linux routes INADDR_ANY
  std::optional<RouteResult> rt = inet_.RouteOutput(dst, rcv_saddr_);
  if (!rt) {
    inet_.ip_mib.Inc(IpMib::kOutNoRoutes);
    return -ENETUNREACH;
  }
  if (rt->type == RouteType::kBroadcast || dst.IsMulticast()) return -ENETUNREACH;
  if (rcv_saddr_.IsAny()) rcv_saddr_ = saddr_ = rt->src;
  daddr_ = dst;
  dport_ = Port(ntohs(sin.sin_port));
  rx_opt_.mss_clamp = 536;  // TCP_MSS_DEFAULT until the SYN-ACK says more
  SetState(TcpState::kSynSent);
  if (int r = tcp_.HashConnect(this); r < 0) {
    SetState(TcpState::kClose);
    daddr_ = Ipv4Addr();
    dport_ = Port();
    return r;
  }
  // tcp_connect_init.
  iss_ = tcp_.NewIsn(rcv_saddr_, daddr_, sport_, dport_);
  if (tcp_.config().tcp_timestamps) ts_off_ = SecureTcpTsOff(tcp_.secrets_, rcv_saddr_, daddr_);
  adv_mss_ = tcp_.AdvMss(daddr_, rx_opt_.user_mss);
  rcv_mss_ = std::min<uint32_t>(adv_mss_, 536);
  rx_opt_.rcv_wscale = 0;
  // tcp_connect_init: a new connection has no ts_recent, so the SYN's
  // window comes from the full advertised MSS (44 x 1460 = 64240).
  tcp_.InitialWindow(adv_mss_, tcp_.config().tcp_window_scaling != 0, &rcv_wnd_,
                     &rx_opt_.rcv_wscale);
  rcv_ssthresh_ = rcv_wnd_;
  window_clamp_ = 65535u << rx_opt_.rcv_wscale;
  rcv_nxt_ = rcv_wup_ = SeqNum(0);
  rto_ = absl::Seconds(1);
  ss_state_ = SsState::kConnecting;
  if (int r = SendSyn(); r < 0) {
    Done();
    ss_state_ = SsState::kUnconnected;
    return r;
  }
  return -EINPROGRESS;  // nonblocking returns it; blocking waits for POLLOUT
}

// inet_listen + inet_csk_listen_start.
int TcpSock::Listen(int backlog) {
  if (ss_state_ != SsState::kUnconnected) return -EINVAL;
  if (state_ != TcpState::kClose && state_ != TcpState::kListen) return -EINVAL;
  // __sys_listen: clamp to somaxconn; a negative backlog (huge as unsigned)
  // becomes somaxconn.
  const uint32_t somaxconn = static_cast<uint32_t>(core_.config().somaxconn);
  backlog_ =
      static_cast<uint32_t>(backlog) > somaxconn ? somaxconn : static_cast<uint32_t>(backlog);
  if (state_ == TcpState::kListen) return 0;  // only the backlog changes
  state_ = TcpState::kListen;
  if (int r = tcp_.GetPort(this, sport_.value()); r < 0) {
    state_ = TcpState::kClose;
    return r;
  }
  tcp_.listeners_[sport_.value()].push_back(this);
  in_lhash_ = true;
  return 0;
}

void AcceptQueue::push_back(TcpSock* child) {
  child->accept_next_ = nullptr;
  (tail_ != nullptr ? tail_->accept_next_ : head_) = child;
  tail_ = child;
  ++size_;
}

TcpSock* AcceptQueue::pop_front() {
  TcpSock* c = head_;
  if (c == nullptr) return nullptr;
  head_ = c->accept_next_;
  if (head_ == nullptr) tail_ = nullptr;
  c->accept_next_ = nullptr;
  --size_;
  return c;
}

void AcceptQueue::erase(TcpSock* child) {
  TcpSock* prev = nullptr;
  for (TcpSock* c = head_; c != nullptr; prev = c, c = c->accept_next_) {
    if (c != child) continue;
    (prev != nullptr ? prev->accept_next_ : head_) = c->accept_next_;
    if (tail_ == c) tail_ = prev;
    c->accept_next_ = nullptr;
    --size_;
    return;
  }
}

// inet_csk_accept.
int TcpSock::Accept(std::unique_ptr<Sock>* child) {
  if (state_ != TcpState::kListen) return -EINVAL;
  TcpSock* c = accept_queue_.pop_front();
  if (c == nullptr) return -EAGAIN;
  c->parent_ = nullptr;
  c->ss_state_ = SsState::kConnected;
  child->reset(c);
  return 0;
}

// tcp_sendmsg_locked.
ssize_t TcpSock::SendMsg(const msghdr& msg, int flags) {
  if (flags & MSG_OOB) return -EOPNOTSUPP;
  const size_t len = IovLength(msg.msg_iov, msg.msg_iovlen);
  if (state_ != TcpState::kEstablished && state_ != TcpState::kCloseWait) {
    // sk_stream_wait_connect.
    if (int e = TakeError(); e != 0) return e;
    if (state_ != TcpState::kSynSent && state_ != TcpState::kSynRecv) return -EPIPE;
    return -EAGAIN;  // the syscall layer waits for the connection (POLLOUT)
  }
  if (err_ != 0 || (shutdown_ & kSendShutdown)) {
    if (int e = TakeError(); e != 0) return e;
    return -EPIPE;
  }
  // tcp_sendmsg_locked: a zero-length write on a connection copies nothing
  // and pushes nothing (and there may be no tail skb to mark).
  if (len == 0) return 0;
  return SendData(msg, flags, len);
}

ssize_t TcpSock::SendData(const msghdr& msg, int flags, size_t len) {
  const uint32_t mss = CurrentMss();
  const uint32_t size_goal = SizeGoal(mss);
  size_t copied = 0;
  while (copied < len) {
    SkBuff* tail = write_queue_.back();
    size_t room = 0;
    if (tail != nullptr && !(tail->Cb<TcpSkbCb>().tcp_flags & kTcpFin) && tail->len() < size_goal) {
      room = std::min<size_t>(size_goal - tail->len(), tail->tailroom());
    }
    if (room == 0) {
      // tcp_stream_alloc_skb: only while the send buffer has room. The
      // buffer fits this write up to the size goal, and at least an MSS
      // so that short writes can still gather in it.
      if (!StreamMemoryFree(0)) break;
      const size_t want = std::min<size_t>(size_goal, std::max<size_t>(len - copied, mss));
      SkbPtr skb = core_.AllocSkb(kMaxHeaderRoom, want);
      if (!skb) break;
      TcpSkbCb& cb = skb->InitCb<TcpSkbCb>();
      cb.seq = cb.end_seq = write_seq_;
      cb.tcp_flags = kTcpAck;
      cb.truesize = kTcpSkbTruesize;
      skb->ReleaseHeader();
      wmem_queued_ += kTcpSkbTruesize;
      write_queue_.PushBack(std::move(skb));
      continue;
    }
    const size_t n = std::min(room, len - copied);
    std::byte* p = tail->Put(n);
    CopyFromIovec(core_.ledger(), CopySite::kUserToSkb, p, n, msg.msg_iov, msg.msg_iovlen, copied);
    TcpSkbCb& cb = tail->Cb<TcpSkbCb>();
    cb.truesize += static_cast<uint32_t>(n);
    wmem_queued_ += n;
    // A tail that an earlier write marked PSH loses it: the push point
    // moves to the end of this write.
    if (copied == 0) cb.tcp_flags &= static_cast<uint8_t>(~kTcpPsh);
    cb.end_seq += static_cast<uint32_t>(n);
    write_seq_ += static_cast<uint32_t>(n);
    copied += n;
    // A full skb goes out at once (tcp_push_one), or with everything
    // before it when half the peer's largest window has been written since
    // the last push point (forced_push marks one inside a long write).
    if (tail->len() >= size_goal && copied < len) {  // the last byte: tcp_push below
      if (ForcedPush()) {
        MarkPush(*tail);
        WriteXmit();
      } else if (tail == write_queue_.front()) {
        WriteXmit(/*push_one=*/true);
      }
    }
  }
  if (copied == 0 && len > 0) return -EAGAIN;  // send buffer full
  // tcp_push: every write ends at a push point (PSH on its last byte)
  // unless MSG_MORE says more is coming; MSG_MORE also holds a short tail
  // like TCP_CORK does.
  // The queue may be empty: full skbs went out during the write and the
  // send buffer stopped it (tcp_push returns when there is no tail).
  SkBuff* last = write_queue_.back();
  if (last != nullptr && (!(flags & MSG_MORE) || ForcedPush())) MarkPush(*last);
  const bool saved_cork = cork_;
  if (flags & MSG_MORE) cork_ = true;
  WriteXmit();
  cork_ = saved_cork;
  return static_cast<ssize_t>(copied);
}

bool TcpSock::StreamMemoryFree(int wake) const {
  if (wmem_queued_ >= sndbuf_) return false;
  const uint64_t notsent = static_cast<uint32_t>(write_seq_ - snd_nxt_);
  const uint64_t lowat = notsent_lowat_ != 0 ? notsent_lowat_ : uint64_t{UINT32_MAX};
  return (notsent << wake) < lowat;
}

// tcp_mark_push.
void TcpSock::MarkPush(SkBuff& skb) {
  skb.Cb<TcpSkbCb>().tcp_flags |= kTcpPsh;
  pushed_seq_ = write_seq_;
}

// tcp_recvmsg_locked.
ssize_t TcpSock::RecvMsg(msghdr& msg, int flags) {
  if (flags & MSG_ERRQUEUE) return RecvError(msg, flags);
  if (flags & MSG_OOB) return -EINVAL;  // no urgent data kept
  if (state_ == TcpState::kListen) return -ENOTCONN;
  const size_t want = IovLength(msg.msg_iov, msg.msg_iovlen);
  size_t copied = 0;
  SeqNum seq = copied_seq_;
  for (SkBuff* s = receive_queue_.front(); s != nullptr && copied < want;) {
    TcpSkbCb& cb = s->Cb<TcpSkbCb>();
    const uint32_t offset = seq - cb.seq;
    const uint32_t avail = s->len() > offset ? s->len() - offset : 0;
    const size_t n = std::min<size_t>(avail, want - copied);
    if (n > 0 && !(flags & MSG_TRUNC)) {
      size_t at = copied;  // the payload may be linear, paged, or both
      s->ForEachChunk(offset, static_cast<uint32_t>(n), [&](std::span<const std::byte> c) {
        at += CopyToIovec(core_.ledger(), CopySite::kSkbToUser, msg.msg_iov, msg.msg_iovlen, c, at);
      });
    }
    copied += n;
    seq += static_cast<uint32_t>(n);
    SkBuff* next = SkbQueue::next(s);
    if (!(flags & MSG_PEEK) && offset + n >= s->len()) {
      SkbPtr gone = receive_queue_.Unlink(s);
      UnchargeRmem(*gone);
      core_.Consume(std::move(gone));
    }
    s = next;
  }
  msg.msg_flags = 0;
  msg.msg_controllen = 0;
  if (copied > 0) {
    if (!(flags & MSG_PEEK)) {
      copied_seq_ = seq;
      RcvSpaceAdjust();
      // tcp_cleanup_rbuf: a read that opened the window a lot deserves an
      // ACK now (the peer may be waiting on a small window).
      const uint32_t now_win = ReceiveWindow(rcv_wup_, rcv_wnd_, rcv_nxt_);
      if (state_ != TcpState::kClose && !(shutdown_ & kRcvShutdown) &&
          2 * now_win <= window_clamp_) {
        const uint32_t new_win = SelectWindowPeek();
        if (new_win != 0 && new_win >= 2 * now_win) SendAck();
      }
    }
    if ((flags & MSG_WAITALL) && copied < want && !done_ && err_ == 0 && !(flags & MSG_DONTWAIT)) {
      // The syscall layer keeps waiting; report progress through a partial
      // count only when it gives up.
    }
    return static_cast<ssize_t>(copied);
  }
  if (want == 0) return 0;
  if (done_ || (shutdown_ & kRcvShutdown)) {
    if (int e = TakeError(); e != 0) return e;
    return 0;  // end of stream
  }
  if (int e = TakeError(); e != 0) return e;
  if (state_ == TcpState::kClose) return -ENOTCONN;  // never connected
  return -EAGAIN;
}

// tcp_rcv_space_adjust: grow the receive buffer with what the application
// reads per RTT (dynamic right-sizing), up to tcp_rmem[2].
void TcpSock::RcvSpaceAdjust() {
  const int64_t now = tcp_.now_ns();
  const int64_t rtt_ns = int64_t{srtt_us_ >> 3} * 1000;
  if (rtt_ns == 0 || now - rcvq_space_time_ns_ < rtt_ns) return;
  const uint32_t copied = copied_seq_ - rcvq_space_seq_;
  if (copied > rcvq_space_ && tcp_.config().tcp_moderate_rcvbuf && !user_rcvbuf_) {
    uint64_t rcvwin = (uint64_t{copied} << 1) + 16 * uint64_t{adv_mss_};
    const uint64_t grow = rcvwin * (copied - rcvq_space_) / std::max<uint32_t>(rcvq_space_, 1);
    rcvwin += grow << 1;
    const uint64_t rcvbuf =
        std::min<uint64_t>(rcvwin * 2, static_cast<uint64_t>(tcp_.config().tcp_rmem[2]));
    if (rcvbuf > rcvbuf_) {
      rcvbuf_ = static_cast<uint32_t>(rcvbuf);
      window_clamp_ = std::max<uint32_t>(window_clamp_, rcvbuf_ / 2);
    }
  }
  if (copied > rcvq_space_) rcvq_space_ = copied;
  rcvq_space_seq_ = copied_seq_;
  rcvq_space_time_ns_ = now;
}

// tcp_close.
bool TcpSock::Close() {
  // A socket that ends closed here is destroyed by tcp_close at once
  // (inet_csk_destroy_sock -> inet_put_port), so its bound port is free
  // for bind() as soon as close() returns, although the orphan itself is
  // deleted later in this loop round.
  struct PutPortIfClosed {
    TcpSock* sk;
    ~PutPortIfClosed() {
      if (sk->state_ == TcpState::kClose) sk->tcp_.PutPort(sk);
    }
  } put_port{this};
  orphan_ = true;
  shutdown_ = kRcvShutdown | kSendShutdown;
  if (state_ == TcpState::kListen) {
    // inet_csk_listen_stop: pending connections are reset.
    state_ = TcpState::kClose;
    Tcp& t = tcp_;
    auto& v = t.listeners_[sport_.value()];
    v.erase(std::remove(v.begin(), v.end(), this), v.end());
    if (v.empty()) t.listeners_.erase(sport_.value());
    while (TcpSock* child = accept_queue_.pop_front()) {
      child->parent_ = nullptr;
      child->orphan_ = true;
      child->SendActiveReset();
      child->Done();
    }
    std::vector<TcpRequestSock*> reqs;
    for (auto& [tuple, e] : t.ehash_) {
      if (e.kind == Tcp::EhashEntry::kRequest &&
          static_cast<TcpRequestSock*>(e.p)->listener == this) {
        reqs.push_back(static_cast<TcpRequestSock*>(e.p));
      }
    }
    for (TcpRequestSock* r : reqs) t.DropRequest(r);
    t.PutPort(this);
    Done();
    return false;
  }
  // Unread data is tossed; that loses data, so the peer gets a reset
  // (RFC 2525 2.17).
  uint32_t unread = 0;
  while (SkbPtr s = receive_queue_.PopFront()) {
    unread += s->len();
    UnchargeRmem(*s);
    core_.Consume(std::move(s));
  }
  if (state_ == TcpState::kClose) {
    Done();
    return false;
  }
  if (unread > 0) {
    tcp_.ext.Inc(TcpExtMib::kTCPAbortOnClose);
    SendActiveReset();
    Done();
    return false;
  }
  if (linger_.l_onoff && linger_.l_linger == 0) {
    // SO_LINGER {1, 0}: abort.
    tcp_.ext.Inc(TcpExtMib::kTCPAbortOnData);
    if (state_ != TcpState::kSynSent) SendActiveReset();
    Done();
    return false;
  }
  // tcp_close_state.
  switch (state_) {
    case TcpState::kEstablished:
    case TcpState::kSynRecv:
      SetState(TcpState::kFinWait1);
      SendFin();
      break;
    case TcpState::kCloseWait:
      SetState(TcpState::kLastAck);
      SendFin();
      break;
    case TcpState::kSynSent:
      Done();
      return false;
    default:
      break;
  }
  if (state_ == TcpState::kFinWait2) {
    const absl::Duration tmo =
        absl::Seconds(linger2_s_ > 0 ? linger2_s_ : tcp_.config().tcp_fin_timeout);
    if (linger2_s_ < 0) {
      SendActiveReset();
      Done();
    } else if (tmo > absl::Seconds(60)) {
      ResetKeepaliveTimer(tmo - absl::Seconds(60));
    } else {
      TimeWait(TcpState::kFinWait2, tmo);
    }
  }
  return false;
}

// inet_shutdown + tcp_shutdown.
int TcpSock::Shutdown(int how) {
  if (how < SHUT_RD || how > SHUT_RDWR) return -EINVAL;
  const uint32_t mask = static_cast<uint32_t>(how + 1);
  switch (state_) {
    case TcpState::kClose:
      shutdown_ |= mask;
      Wake();
      return -ENOTCONN;
    case TcpState::kListen:
      if (!(mask & kRcvShutdown)) return 0;
      [[fallthrough]];
    case TcpState::kSynSent:
      // Linux disconnects a listener or a connecting socket.
      Connect(reinterpret_cast<const sockaddr*>("\0\0"), sizeof(sa_family_t), true);
      return 0;
    default:
      break;
  }
  shutdown_ |= mask;
  if (mask & kSendShutdown) {
    if (state_ == TcpState::kEstablished || state_ == TcpState::kSynRecv) {
      SetState(TcpState::kFinWait1);
      SendFin();
    } else if (state_ == TcpState::kCloseWait) {
      SetState(TcpState::kLastAck);
      SendFin();
    }
  }
  Wake();
  return 0;
}

// tcp_poll.
uint32_t TcpSock::Poll() {
  if (state_ == TcpState::kListen) return accept_queue_.empty() ? 0 : (POLLIN | POLLRDNORM);
  uint32_t mask = 0;
  if (shutdown_ == (kRcvShutdown | kSendShutdown) || state_ == TcpState::kClose) mask |= POLLHUP;
  if (shutdown_ & kRcvShutdown) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
  if (state_ != TcpState::kSynSent && state_ != TcpState::kSynRecv) {
    if (copied_seq_ != rcv_nxt_ && !receive_queue_.empty()) mask |= POLLIN | POLLRDNORM;
    if (!(shutdown_ & kSendShutdown)) {
      // sk_stream_is_writeable: free space at least half of what is
      // queued, and unsent data under TCP_NOTSENT_LOWAT.
      if (sndbuf_ > wmem_queued_ && sndbuf_ - wmem_queued_ >= wmem_queued_ / 2 &&
          StreamMemoryFree(1))
        mask |= POLLOUT | POLLWRNORM;
    } else {
      mask |= POLLOUT | POLLWRNORM;
    }
  }
  if (err_ != 0 || !error_queue_.empty()) mask |= POLLERR;
  return mask;
}

int TcpSock::SetSockOpt(int level, int name, const void* val, socklen_t len) {
  if (level == SOL_SOCKET) {
    int r = InetSock::SetSockOpt(level, name, val, len);
    if (r == 0) {
      if (name == SO_RCVBUF) user_rcvbuf_ = true;
      if (name == SO_SNDBUF) user_sndbuf_ = true;
      if (name == SO_KEEPALIVE) {
        // tcp_set_keepalive.
        if (keepalive_ && (state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait)) {
          ResetKeepaliveTimer(KeepaliveTime());
        } else if (!keepalive_) {
          tcp_.timers().Cancel(keepalive_timer_);
        }
      }
    }
    return r;
  }
  if (level != SOL_TCP) return InetSock::SetSockOpt(level, name, val, len);
  if (name == TCP_CONGESTION) {
    if (val == nullptr) return -EFAULT;
    std::string n(static_cast<const char*>(val),
                  strnlen(static_cast<const char*>(val), std::min<size_t>(len, 16)));
    std::unique_ptr<CongestionControl> c = MakeCongestionControl(n);
    if (!c) return -ENOENT;
    ca_ = std::move(c);
    ca_->Init(cc_, tcp_.now());
    return 0;
  }
  int v;
  if (int r = IntOpt(val, len, &v); r != 0) return r;
  switch (name) {
    case TCP_NODELAY:
      nodelay_ = v != 0;
      if (nodelay_) WriteXmit();  // pending small data goes now
      return 0;
    case TCP_CORK:
      cork_ = v != 0;
      if (!cork_) WriteXmit();
      return 0;
    case TCP_MAXSEG:
      if (v != 0 && (v < kMinMss || v > kMaxWindow)) return -EINVAL;
      rx_opt_.user_mss = static_cast<uint16_t>(v);
      return 0;
    case TCP_KEEPIDLE:
      if (v < 1 || v > 32767) return -EINVAL;
      keepidle_s_ = v;
      if (keepalive_ && (state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait)) {
        ResetKeepaliveTimer(KeepaliveTime());
      }
      return 0;
    case TCP_KEEPINTVL:
      if (v < 1 || v > 32767) return -EINVAL;
      keepintvl_s_ = v;
      return 0;
    case TCP_KEEPCNT:
      if (v < 1 || v > 127) return -EINVAL;
      keepcnt_ = v;
      return 0;
    case TCP_SYNCNT:
      if (v < 1 || v > 127) return -EINVAL;
      syn_retries_ = v;
      return 0;
    case TCP_LINGER2:
      linger2_s_ = v < 0 ? -1 : std::min(v, tcp_.config().tcp_fin_timeout);
      return 0;
    case TCP_USER_TIMEOUT:
      if (v < 0) return -EINVAL;
      user_timeout_ms_ = static_cast<uint32_t>(v);
      return 0;
    case TCP_NOTSENT_LOWAT:
      // Any int, kept as unsigned (-1 is UINT_MAX); a writer may wake.
      notsent_lowat_ = static_cast<uint32_t>(v);
      Wake();
      return 0;
    case TCP_QUICKACK:
      if (v) {
        ack_quick_ = 16;
        ack_pingpong_ = false;
        if (ack_pending_ & kAckSched) SendAck();
      } else {
        ack_pingpong_ = true;
      }
      return 0;
    case TCP_DEFER_ACCEPT:
    case TCP_WINDOW_CLAMP:
      return 0;  // accepted; usnet does not implement these refinements
    default:
      return -ENOPROTOOPT;
  }
}

int TcpSock::GetSockOpt(int level, int name, void* val, socklen_t* len) {
  if (level == SOL_SOCKET && name == SO_ACCEPTCONN)
    return PutInt(state_ == TcpState::kListen, val, len);
  if (level != SOL_TCP) return InetSock::GetSockOpt(level, name, val, len);
  if (len == nullptr) return -EFAULT;
  switch (name) {
    case TCP_NODELAY:
      return PutInt(nodelay_, val, len);
    case TCP_CORK:
      return PutInt(cork_, val, len);
    case TCP_MAXSEG: {
      int v = static_cast<int>(mss_cache_);
      if (rx_opt_.user_mss && (state_ == TcpState::kClose || state_ == TcpState::kListen))
        v = rx_opt_.user_mss;
      return PutInt(v, val, len);
    }
    case TCP_KEEPIDLE:
      return PutInt(static_cast<int>(absl::ToInt64Seconds(KeepaliveTime())), val, len);
    case TCP_KEEPINTVL:
      return PutInt(static_cast<int>(absl::ToInt64Seconds(KeepaliveIntvl())), val, len);
    case TCP_KEEPCNT:
      return PutInt(KeepaliveProbes(), val, len);
    case TCP_SYNCNT:
      return PutInt(syn_retries_ ? syn_retries_ : tcp_.config().tcp_syn_retries, val, len);
    case TCP_LINGER2:
      return PutInt(linger2_s_ ? linger2_s_ : tcp_.config().tcp_fin_timeout, val, len);
    case TCP_USER_TIMEOUT:
      return PutInt(static_cast<int>(user_timeout_ms_), val, len);
    case TCP_NOTSENT_LOWAT:
      return PutInt(static_cast<int>(notsent_lowat_), val, len);
    case TCP_QUICKACK:
      return PutInt(!ack_pingpong_, val, len);
    case TCP_INFO: {
      // do_tcp_getsockopt: min(len, sizeof(struct tcp_info)) bytes, so
      // shorter (older) structs get their prefix.
      if (static_cast<int>(*len) < 0) return -EINVAL;
      TcpInfo info;
      FillInfo(&info);
      const socklen_t n = std::min<socklen_t>(*len, sizeof(info));
      if (val == nullptr && n > 0) return -EFAULT;
      std::memcpy(val, &info, n);
      *len = n;
      return 0;
    }
    case TCP_CONGESTION: {
      if (static_cast<int>(*len) < 0) return -EINVAL;
      char name_buf[16] = {};
      std::string_view n = ca_->name();
      std::memcpy(name_buf, n.data(), std::min<size_t>(n.size(), 15));
      const socklen_t cnt = std::min<socklen_t>(*len, 16);
      if (val == nullptr && cnt > 0) return -EFAULT;
      std::memcpy(val, name_buf, cnt);
      *len = cnt;
      return 0;
    }
    default:
      return -ENOPROTOOPT;
  }
}

int TcpSock::Ioctl(unsigned long request, void* arg) {
  if (arg == nullptr) return -EFAULT;
  int v;
  switch (request) {
    case SIOCINQ:
      if (state_ == TcpState::kListen) return -EINVAL;
      v = static_cast<int>(rcv_nxt_ - copied_seq_);
      if (v > 0 && done_ && (shutdown_ & kRcvShutdown)) --v;  // the FIN is not data
      if (v < 0) v = 0;
      break;
    case SIOCOUTQ:
      if (state_ == TcpState::kListen) return -EINVAL;
      v = static_cast<int>(write_seq_ - snd_una_);
      break;
    case SIOCOUTQNSD:
      if (state_ == TcpState::kListen) return -EINVAL;
      v = static_cast<int>(write_seq_ - snd_nxt_);
      break;
    default:
      return -ENOTTY;
  }
  std::memcpy(arg, &v, sizeof(v));
  return 0;
}

// tcp_get_info.
void TcpSock::FillInfo(TcpInfo* i) const {
  *i = TcpInfo{};
  const int64_t now = tcp_.now_ns();
  auto ms_ago = [now](int64_t t_ns) { return static_cast<uint32_t>((now - t_ns) / 1000000); };
  i->tcpi_state = static_cast<uint8_t>(state_);
  i->tcpi_ca_state = static_cast<uint8_t>(ca_state_);
  i->tcpi_reordering = reordering_;
  i->tcpi_snd_cwnd = cc_.snd_cwnd;
  if (state_ == TcpState::kListen) {
    // Linux reports only the above for a listener, with two fields reused:
    // connections ready for accept() and the backlog.
    i->tcpi_unacked = static_cast<uint32_t>(accept_queue_.size());
    i->tcpi_sacked = backlog_;
    return;
  }
  i->tcpi_retransmits = retransmits_;
  i->tcpi_probes = probes_out_;
  i->tcpi_backoff = backoff_;
  if (rx_opt_.tstamp_ok) i->tcpi_options |= TCPI_OPT_TIMESTAMPS;
  if (rx_opt_.sack_ok) i->tcpi_options |= TCPI_OPT_SACK;
  if (rx_opt_.wscale_ok) {
    i->tcpi_options |= TCPI_OPT_WSCALE;
    i->tcpi_snd_wscale = rx_opt_.snd_wscale & 0xf;
    i->tcpi_rcv_wscale = rx_opt_.rcv_wscale & 0xf;
  }
  i->tcpi_rto = static_cast<uint32_t>(absl::ToInt64Microseconds(rto_));
  i->tcpi_ato = static_cast<uint32_t>(absl::ToInt64Microseconds(ato_));
  i->tcpi_snd_mss = mss_cache_;
  i->tcpi_rcv_mss = rcv_mss_;
  i->tcpi_unacked = packets_out_;
  i->tcpi_sacked = sacked_out_;
  i->tcpi_lost = lost_out_;
  i->tcpi_retrans = retrans_out_;
  i->tcpi_last_data_sent = ms_ago(lsndtime_ns_);
  i->tcpi_last_data_recv = ms_ago(lrcvtime_ns_);
  i->tcpi_last_ack_recv = ms_ago(rcv_tstamp_ns_);
  i->tcpi_pmtu = pmtu_;
  i->tcpi_rcv_ssthresh = rcv_ssthresh_;
  i->tcpi_rtt = srtt_us_ >> 3;
  i->tcpi_rttvar = mdev_us_ >> 2;
  i->tcpi_snd_ssthresh = cc_.snd_ssthresh;
  // tp->advmss is the MSS our SYN offered less the timestamp option, once
  // timestamps are on (tcp_rcv_synsent_state_process, tcp_openreq_child).
  i->tcpi_advmss = adv_mss_ - (rx_opt_.tstamp_ok ? kTcpTimestampAlignedLen : 0);
  i->tcpi_rcv_space = rcvq_space_;
  i->tcpi_total_retrans = total_retrans_;
  i->tcpi_bytes_acked = bytes_acked_;
  i->tcpi_bytes_received = bytes_received_;
  i->tcpi_segs_out = segs_out_;
  i->tcpi_segs_in = segs_in_;
  i->tcpi_notsent_bytes = static_cast<uint32_t>(std::max<int32_t>(0, write_seq_ - snd_nxt_));
  i->tcpi_min_rtt = min_rtt_us_;  // ~0U before the first sample, as minmax_get
  i->tcpi_data_segs_in = data_segs_in_;
  i->tcpi_data_segs_out = data_segs_out_;
  i->tcpi_delivered = delivered_;
  i->tcpi_bytes_sent = bytes_sent_;
  i->tcpi_bytes_retrans = bytes_retrans_;
  i->tcpi_snd_wnd = snd_wnd_;
  i->tcpi_rcv_wnd = rcv_wnd_;
}

}  // namespace usnet
