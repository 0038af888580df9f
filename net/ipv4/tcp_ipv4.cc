// TCP over IPv4 (Linux net/ipv4/tcp_ipv4.c, inet_hashtables.c,
// inet_connection_sock.c, tcp_minisocks.c): demultiplexing, the hash
// tables, stateless replies, the listen path (request socks, the SYN and
// accept queues, SYN cookies) and TIME_WAIT.
#include <algorithm>
#include <cstring>

#include "net/core/skb_bits.h"
#include "net/ipv4/icmp.h"
#include "net/ipv4/tcp.h"

namespace usnet {

namespace {
constexpr absl::Duration kTimeoutInit = absl::Seconds(1);   // TCP_TIMEOUT_INIT
constexpr absl::Duration kTimewaitLen = absl::Seconds(60);  // TCP_TIMEWAIT_LEN
constexpr int64_t kSyncookieValidS = 2 * 60;                // TCP_SYNCOOKIE_VALID
}  // namespace

uint32_t Tcp::TimestampMs() const {
  return static_cast<uint32_t>(absl::ToUnixMillis(inet_.core().now()));
}

SeqNum Tcp::NewIsn(Ipv4Addr saddr, Ipv4Addr daddr, Port sport, Port dport) {
  return SecureTcpSeq(secrets_, saddr, daddr, sport, dport, now());
}

// ---------------------------------------------------------------------------
// Mini sockets

TcpRequestSock::TcpRequestSock(Tcp& t, TcpSock* l)
    : tcp(t),
      listener(l),
      timer(
          [](void* c) {
            auto* r = static_cast<TcpRequestSock*>(c);
            r->tcp.RequestTimer(r);
          },
          this) {
  ++tcp.sockets_;
}

TcpRequestSock::~TcpRequestSock() {
  tcp.timers().Cancel(timer);
  --tcp.sockets_;
}

TcpTimewaitSock::TcpTimewaitSock(Tcp& t)
    : tcp(t),
      timer(
          [](void* c) {
            auto* tw = static_cast<TcpTimewaitSock*>(c);
            tw->tcp.TimewaitTimer(tw);
          },
          this) {
  ++tcp.sockets_;
  ++tcp.tw_count_;
}

TcpTimewaitSock::~TcpTimewaitSock() {
  tcp.timers().Cancel(timer);
  --tcp.sockets_;
  --tcp.tw_count_;
}

// ---------------------------------------------------------------------------
// Receive demultiplexing (tcp_v4_rcv)

bool Tcp::ParseSegment(const SkBuff& skb, TcpSegment* seg) {
  auto th = TcpView::Parse(skb.cspan());
  if (!th) return false;
  const std::byte* iph = skb.network_header();
  seg->saddr = Ipv4Addr(LoadBe32(iph + 12));
  seg->daddr = Ipv4Addr(LoadBe32(iph + 16));
  seg->sport = th->src_port();
  seg->dport = th->dst_port();
  seg->seq = th->seq();
  seg->ack_seq = th->ack();
  seg->flags = th->flags();
  seg->window = th->window();
  seg->len = skb.len() - static_cast<uint32_t>(th->header_len());  // the payload may be paged
  seg->end_seq =
      seg->seq + seg->len + ((seg->flags & kTcpSyn) ? 1 : 0) + ((seg->flags & kTcpFin) ? 1 : 0);
  seg->opt = th->ParseOptions();
  return true;
}

void Tcp::Rcv(SkbPtr skb) {
  NetCore& core = inet_.core();
  if (skb->pkt_type != PacketType::kHost && skb->pkt_type != PacketType::kLoopback) {
    core.Drop(std::move(skb), DropReason::kOTHERHOST);  // TCP is unicast only
    return;
  }
  mib.Inc(TcpMib::kInSegs);
  TcpSegment seg;
  auto th = TcpView::Parse(skb->cspan());
  if (!th) {
    mib.Inc(TcpMib::kInErrs);
    core.Drop(std::move(skb), th.error() == ParseError::kTruncated ? DropReason::kPKT_TOO_SMALL
                                                                   : DropReason::kTCP_INVALID);
    return;
  }
  const std::byte* iph = skb->network_header();
  // CHECKSUM_PARTIAL from a local sender (veth, loopback) is as good as
  // verified (skb_csum_unnecessary).
  if (skb->ip_summed != CsumState::kUnnecessary && skb->ip_summed != CsumState::kPartial &&
      CsumFold(
          SkbChecksum(*skb, 0, skb->len(),
                      PseudoHeaderSum(Ipv4Addr(LoadBe32(iph + 12)), Ipv4Addr(LoadBe32(iph + 16)),
                                      kIpProtoTcp, static_cast<uint16_t>(skb->len())))) != 0) {
    mib.Inc(TcpMib::kInCsumErrors);
    mib.Inc(TcpMib::kInErrs);
    core.Drop(std::move(skb), DropReason::kTCP_CSUM);
    return;
  }
  ParseSegment(*skb, &seg);
  skb->SetTransportHeader();
  (void)skb->Pull(th->header_len());  // data now at the payload
  TcpSkbCb& cb = skb->InitCb<TcpSkbCb>();
  cb.seq = seg.seq;
  cb.end_seq = seg.end_seq;
  cb.ack_seq = seg.ack_seq;
  cb.tcp_flags = seg.flags;

  auto it = ehash_.find(
      FourTuple{seg.daddr.value(), seg.saddr.value(), seg.dport.value(), seg.sport.value()});
  if (it != ehash_.end()) {
    switch (it->second.kind) {
      case EhashEntry::kFull:
        static_cast<TcpSock*>(it->second.p)->Rcv(std::move(skb), seg);
        return;
      case EhashEntry::kRequest:
        RequestRcv(static_cast<TcpRequestSock*>(it->second.p), std::move(skb), seg);
        return;
      case EhashEntry::kTimewait:
        TimewaitRcv(static_cast<TcpTimewaitSock*>(it->second.p), std::move(skb), seg);
        return;
    }
  }
  if (TcpSock* l = LookupListener(seg)) {
    ListenRcv(l, std::move(skb), seg);
    return;
  }
  // no_tcp_socket: answer with a reset (never to a reset).
  if (!seg.has(kTcpRst)) SendReset(seg, skb.get());
  core.Drop(std::move(skb), DropReason::kNO_SOCKET);
}

TcpSock* Tcp::LookupListener(const TcpSegment& seg) {
  auto it = listeners_.find(seg.dport.value());
  if (it == listeners_.end()) return nullptr;
  TcpSock* best = nullptr;
  for (TcpSock* l : it->second) {
    if (l->local_addr() == seg.daddr) {  // exact address wins (compute_score)
      best = l;
      break;
    }
    if (l->local_addr().IsAny() && best == nullptr) best = l;
  }
  if (best == nullptr || !best->reuseport_) return best;
  // SO_REUSEPORT (inet_lhash2_lookup -> reuseport_select_sock): the
  // listeners sharing the port and address form a group; a keyed hash of
  // the 4-tuple picks one, so each connection has one home and the group
  // shares the load.
  std::vector<TcpSock*> group;
  for (TcpSock* l : it->second) {
    if (l->reuseport_ && l->local_addr() == best->local_addr()) group.push_back(l);
  }
  const uint32_t hash = static_cast<uint32_t>(
      SipHash3u32(internal::LinuxBe32(seg.daddr), internal::LinuxBe32(seg.saddr),
                  internal::LinuxPorts(seg.dport, seg.sport), secrets_.net_secret));
  return group[(uint64_t{hash} * group.size()) >> 32];  // reciprocal_scale
}

// ---------------------------------------------------------------------------
// Stateless output

int Tcp::OutputSegment(SkbPtr skb, Ipv4Addr src, Ipv4Addr dst, uint8_t tos) {
  mib.Inc(TcpMib::kOutSegs, TcpSegs(*skb));
  IpTxParams p;
  p.src = src;
  p.dst = dst;
  p.protocol = kIpProtoTcp;
  p.tos = tos;
  p.df = true;  // TCP does path MTU discovery: DF on every segment
  return inet_.IpOutput(std::move(skb), p);
}

// tcp_v4_send_reset: RFC 9293 3.10.7.1 "If the incoming segment has an ACK
// field, the reset takes its sequence number from the ACK field of the
// segment, otherwise the reset has sequence number zero and the ACK field
// is set to the sum of the sequence number and segment length".
void Tcp::SendReset(const TcpSegment& seg, const SkBuff*) {
  if (seg.has(kTcpRst)) return;
  TcpRepr r;
  r.src_port = seg.dport;
  r.dst_port = seg.sport;
  if (seg.has(kTcpAck)) {
    r.seq = seg.ack_seq;
    r.flags = kTcpRst;
  } else {
    r.seq = SeqNum(0);
    r.ack = seg.end_seq;
    r.flags = kTcpRst | kTcpAck;
  }
  if (SendReply(seg, r)) mib.Inc(TcpMib::kOutRsts);
}

// tcp_v4_send_ack: an ACK on behalf of a mini socket.
void Tcp::SendAckStateless(const TcpSegment& seg, SeqNum seq, SeqNum ack, uint32_t win,
                           uint32_t tsval, uint32_t tsecr) {
  TcpRepr r;
  r.src_port = seg.dport;
  r.dst_port = seg.sport;
  r.seq = seq;
  r.ack = ack;
  r.flags = kTcpAck;
  r.window = static_cast<uint16_t>(std::min<uint32_t>(win, 65535));
  if (tsval != 0 || tsecr != 0) {
    r.opts.has_timestamp = true;
    r.opts.tsval = tsval;
    r.opts.tsecr = tsecr;
  }
  SendReply(seg, r);
}

bool Tcp::SendReply(const TcpSegment& seg, const TcpRepr& r) {
  SkbPtr skb = inet_.core().AllocSkb(kMaxHeaderRoom, 0);
  if (!skb) return false;
  const size_t hl = r.HeaderLen();
  std::byte* p = skb->Push(hl);
  r.Emit(p);
  TcpFillChecksum(p, hl, seg.daddr, seg.saddr);
  skb->SetTransportHeader();
  OutputSegment(std::move(skb), seg.daddr, seg.saddr);
  return true;
}

// ---------------------------------------------------------------------------
// Hash tables

void Tcp::HashEstablished(TcpSock* sk) {
  ehash_[FourTuple{sk->rcv_saddr_.value(), sk->daddr_.value(), sk->sport_.value(),
                   sk->dport_.value()}] = EhashEntry{EhashEntry::kFull, sk};
  sk->in_ehash_ = true;
}

void Tcp::UnhashEstablished(TcpSock* sk) {
  if (!sk->in_ehash_) return;
  FourTuple t{sk->rcv_saddr_.value(), sk->daddr_.value(), sk->sport_.value(), sk->dport_.value()};
  auto it = ehash_.find(t);
  if (it != ehash_.end() && it->second.p == sk) ehash_.erase(it);
  sk->in_ehash_ = false;
}

// inet_csk_get_port: bind(port) or an ephemeral port for bind(0) / listen.
// Two sockets may share a port when both set SO_REUSEADDR and neither is
// listening, or both set SO_REUSEPORT, or their bound addresses differ
// (neither is the wildcard). A TIME_WAIT socket blocks the port unless the
// new socket and the old one both set SO_REUSEADDR.
int Tcp::GetPort(TcpSock* sk, uint16_t port) {
  auto conflicts = [&](uint16_t p) {
    auto it = bhash_.find(p);
    if (it != bhash_.end()) {
      for (TcpSock* o : it->second) {
        if (o == sk) continue;
        const bool addr_overlap =
            o->rcv_saddr_.IsAny() || sk->rcv_saddr_.IsAny() || o->rcv_saddr_ == sk->rcv_saddr_;
        if (!addr_overlap) continue;
        if (sk->reuseport_ && o->reuseport_) continue;
        // inet_bind_conflict: SO_REUSEADDR on both sides shares the port
        // unless the other socket listens. Our own state does not matter:
        // two such sockets may both bind, and the first to listen wins.
        if (sk->reuseaddr_ && o->reuseaddr_ && o->state_ != TcpState::kListen) continue;
        return true;
      }
    }
    for (const auto& [t, e] : ehash_) {
      if (e.kind != EhashEntry::kTimewait || t.lport != p) continue;
      auto* tw = static_cast<TcpTimewaitSock*>(e.p);
      const bool addr_overlap = sk->rcv_saddr_.IsAny() || tw->laddr == sk->rcv_saddr_;
      // A TIME_WAIT socket yields its port only if it, too, had
      // SO_REUSEADDR (tw_reuse); measured on Linux 6.18.
      if (addr_overlap && !(sk->reuseaddr_ && tw->reuse)) return true;
    }
    return false;
  };
  if (port == 0) {
    const int lo = inet_.config().ip_local_port_range[0],
              hi = inet_.config().ip_local_port_range[1];
    const uint32_t n = static_cast<uint32_t>(hi - lo + 1);
    const uint32_t start = static_cast<uint32_t>(inet_.core().rng()() % n);
    for (uint32_t i = 0; i < n && port == 0; ++i) {
      const uint16_t p = static_cast<uint16_t>(lo + (start + i) % n);
      if (bhash_.find(p) == bhash_.end() && !conflicts(p)) port = p;
    }
    if (port == 0) return -EADDRINUSE;
  } else if (conflicts(port)) {
    return -EADDRINUSE;
  }
  PutPort(sk);
  sk->sport_ = Port(port);
  bhash_[port].push_back(sk);
  sk->in_bhash_ = true;
  return 0;
}

void Tcp::PutPort(TcpSock* sk) {
  if (!sk->in_bhash_) return;
  auto it = bhash_.find(sk->sport_.value());
  if (it != bhash_.end()) {
    std::erase(it->second, sk);
    if (it->second.empty()) bhash_.erase(it);
  }
  sk->in_bhash_ = false;
}

bool Tcp::TupleFree(const FourTuple& t, TcpSock* sk) {
  auto it = ehash_.find(t);
  return it == ehash_.end() || it->second.p == sk;
}

// inet_hash_connect: a source port for connect() whose 4-tuple is unused,
// starting at a keyed-hash offset (RFC 6056 algorithm 3) so consecutive
// connections to one server take consecutive ports.
int Tcp::HashConnect(TcpSock* sk) {
  if (sk->sport_.value() != 0) {
    FourTuple t{sk->rcv_saddr_.value(), sk->daddr_.value(), sk->sport_.value(), sk->dport_.value()};
    if (!TupleFree(t, sk)) return -EADDRNOTAVAIL;
    HashEstablished(sk);
    return 0;
  }
  const int lo = inet_.config().ip_local_port_range[0], hi = inet_.config().ip_local_port_range[1];
  const uint32_t n = static_cast<uint32_t>(hi - lo + 1);
  const uint32_t offset =
      static_cast<uint32_t>(
          SecureIpv4PortEphemeral(secrets_, sk->rcv_saddr_, sk->daddr_, sk->dport_, now()) >> 32) +
      port_rover_;
  for (uint32_t i = 0; i < n; ++i) {
    const uint16_t p = static_cast<uint16_t>(lo + (offset + i) % n);
    // A port bound by bind() is not borrowed; one used by other connects is
    // shared as long as the 4-tuple differs.
    auto b = bhash_.find(p);
    bool bound = false;
    if (b != bhash_.end()) {
      for (TcpSock* o : b->second) bound |= o->bind_port_locked_ || o->state_ == TcpState::kListen;
    }
    if (bound) continue;
    FourTuple t{sk->rcv_saddr_.value(), sk->daddr_.value(), p, sk->dport_.value()};
    if (!TupleFree(t, sk)) continue;
    port_rover_ += i + 2;  // Linux advances by 2: connect prefers even ports
    sk->sport_ = Port(p);
    bhash_[p].push_back(sk);
    sk->in_bhash_ = true;
    HashEstablished(sk);
    return 0;
  }
  return -EADDRNOTAVAIL;
}

std::vector<const TcpSock*> Tcp::AllSockets() const {
  std::vector<const TcpSock*> v;
  for (const auto& [p, socks] : listeners_) v.insert(v.end(), socks.begin(), socks.end());
  for (const auto& [t, e] : ehash_) {
    if (e.kind == EhashEntry::kFull) v.push_back(static_cast<const TcpSock*>(e.p));
  }
  return v;
}

// ---------------------------------------------------------------------------
// The listen path

void Tcp::ListenRcv(TcpSock* l, SkbPtr skb, const TcpSegment& seg) {
  NetCore& core = inet_.core();
  if (seg.has(kTcpAck) && !seg.has(kTcpSyn) && !seg.has(kTcpRst)) {
    // tcp_v4_cookie_check: an ACK with no request sock may complete a
    // handshake we answered with a SYN cookie.
    if (TcpSock* child = CookieCheck(l, skb, seg)) {
      child->Rcv(std::move(skb), seg);
      return;
    }
    if (!skb) return;  // consumed: a valid cookie the accept queue could not take
  }
  // tcp_rcv_state_process, LISTEN.
  if (seg.has(kTcpAck)) {
    SendReset(seg, skb.get());
    core.Drop(std::move(skb), DropReason::kTCP_INVALID);
    return;
  }
  if (seg.has(kTcpRst)) {
    core.Drop(std::move(skb), DropReason::kTCP_INVALID);
    return;
  }
  if (!seg.has(kTcpSyn) || seg.has(kTcpFin)) {
    core.Drop(std::move(skb), DropReason::kTCP_INVALID);
    return;
  }
  ConnRequest(l, std::move(skb), seg);
}

// tcp_conn_request, in Linux's order: the SYN queue (or syncookies=2) first,
// then the accept queue (dropping even in cookie mode), then a request sock.
void Tcp::ConnRequest(TcpSock* l, SkbPtr skb, const TcpSegment& seg) {
  NetCore& core = inet_.core();
  const int syncookies = config_.tcp_syncookies;
  bool want_cookie = false;
  auto listen_drop = [&](DropReason r) {
    ext.Inc(TcpExtMib::kListenDrops);
    core.Drop(std::move(skb), r);
  };
  // inet_csk_reqsk_queue_is_full uses >: the queue holds backlog+1.
  if (syncookies == 2 || l->syn_qlen_ > l->backlog_) {
    // tcp_syn_flood_action.
    if (syncookies != 0) {
      want_cookie = true;
      ext.Inc(TcpExtMib::kTCPReqQFullDoCookies);
    } else {
      ext.Inc(TcpExtMib::kTCPReqQFullDrop);
      return listen_drop(DropReason::kTCP_LISTEN_OVERFLOW);
    }
  }
  // sk_acceptq_is_full, also with >: backlog+1 connections wait.
  if (l->accept_queue_.size() > l->backlog_) {
    ext.Inc(TcpExtMib::kListenOverflows);
    return listen_drop(DropReason::kTCP_LISTEN_OVERFLOW);
  }
  const int max_syn_backlog = config_.tcp_max_syn_backlog;
  if (!want_cookie && syncookies == 0 &&
      max_syn_backlog - static_cast<int>(l->syn_qlen_) < (max_syn_backlog >> 2)) {
    // Without cookies, the last quarter of tcp_max_syn_backlog is kept for
    // peers proven alive; we keep no per-peer metrics, so nobody is proven.
    return listen_drop(DropReason::kTCP_LISTEN_OVERFLOW);
  }
  auto req = std::make_unique<TcpRequestSock>(*this, l);
  req->laddr = seg.daddr;
  req->raddr = seg.saddr;
  req->lport = seg.dport;
  req->rport = seg.sport;
  req->rcv_isn = seg.seq;
  // tcp_openreq_init: negotiate options.
  TcpOptions opt = seg.opt;
  if (want_cookie && !opt.has_timestamp) {
    // Without timestamps a cookie can carry only the MSS.
    opt = TcpOptions{.mss = opt.mss};
  }
  req->adv_mss = AdvMss(seg.saddr, l->rx_opt_.user_mss);
  req->mss = std::min<uint16_t>(std::max<uint16_t>(opt.mss.value_or(536), 88), req->adv_mss);
  req->tstamp_ok = opt.has_timestamp && config_.tcp_timestamps;
  req->sack_ok = opt.sack_permitted && config_.tcp_sack;
  req->wscale_ok = opt.wscale.has_value() && config_.tcp_window_scaling;
  req->snd_wscale = req->wscale_ok ? *opt.wscale : 0;
  req->ts_recent = req->tstamp_ok ? opt.tsval : 0;
  if (req->tstamp_ok) req->ts_off = SecureTcpTsOff(secrets_, seg.daddr, seg.saddr);
  // tcp_openreq_init_rwin: from our advertised MSS less the timestamp
  // option (so a SYN-ACK with timestamps offers 45 x 1448 = 65160).
  InitialWindow(req->adv_mss - (req->tstamp_ok ? 12 : 0), req->wscale_ok, &req->rcv_wnd,
                &req->rcv_wscale);
  if (want_cookie) {
    uint16_t mss = req->mss;
    req->snt_isn = SeqNum(CookieV4InitSequence(cookie_keys_, seg.saddr, seg.daddr, seg.sport,
                                               seg.dport, seg.seq, &mss, now()));
    req->mss = mss;
    // tcp_synq_overflow: cookies are checked only after a recent one.
    l->last_overflow_s_ = absl::ToUnixSeconds(now());
    ext.Inc(TcpExtMib::kSyncookiesSent);
    SendSynAck(*req, true, &seg);
    core.Consume(std::move(skb));
    return;  // a cookie keeps no state
  }
  req->snt_isn = NewIsn(seg.daddr, seg.saddr, seg.dport, seg.sport);
  req->first_synack_ns = now_ns();
  TcpRequestSock* r = req.release();
  ehash_[FourTuple{r->laddr.value(), r->raddr.value(), r->lport.value(), r->rport.value()}] =
      EhashEntry{EhashEntry::kRequest, r};
  ++l->syn_qlen_;
  ++l->syn_young_;
  timers().Arm(r->timer, now() + kTimeoutInit);
  SendSynAck(*r, false, &seg);
  core.Consume(std::move(skb));
}

// tcp_make_synack + tcp_v4_send_synack.
int Tcp::SendSynAck(const TcpRequestSock& req, bool cookie, const TcpSegment*) {
  TcpRepr r;
  r.src_port = req.lport;
  r.dst_port = req.rport;
  r.seq = req.snt_isn;
  r.ack = req.rcv_isn + 1;
  r.flags = kTcpSyn | kTcpAck;
  r.window =
      static_cast<uint16_t>(std::min<uint32_t>(req.rcv_wnd, 65535));  // never scaled in a SYN
  r.opts.mss = req.adv_mss;
  r.opts.sack_permitted = req.sack_ok;
  if (req.wscale_ok) r.opts.wscale = req.rcv_wscale;
  if (req.tstamp_ok) {
    r.opts.has_timestamp = true;
    uint32_t ts = TimestampMs();
    if (cookie) ts = CookieInitTimestamp(req.wscale_ok, req.snd_wscale, req.sack_ok, false, ts);
    r.opts.tsval = ts + req.ts_off;
    r.opts.tsecr = req.ts_recent;
  }
  SkbPtr skb = inet_.core().AllocSkb(kMaxHeaderRoom, 0);
  if (!skb) return -ENOBUFS;
  const size_t hl = r.HeaderLen();
  std::byte* p = skb->Push(hl);
  r.Emit(p);
  TcpFillChecksum(p, hl, req.laddr, req.raddr);
  skb->SetTransportHeader();
  return OutputSegment(std::move(skb), req.laddr, req.raddr);
}

// reqsk_timer_handler: resend the SYN-ACK with doubling timeouts (1, 2, 4 ...
// s) until tcp_synack_retries have gone, then drop the request. When the SYN
// queue is more than half full, old requests get fewer retries (Linux
// prunes those that already timed out, keeping room for young ones).
void Tcp::RequestTimer(TcpRequestSock* req) {
  TcpSock* l = req->listener;
  int max_retries = config_.tcp_synack_retries;
  const uint32_t qlen = l->syn_qlen_;
  if ((qlen << 1) > std::max<uint32_t>(8, l->backlog_)) {
    uint32_t young = l->syn_young_ << 1;
    while (max_retries > 2) {
      if (qlen < young) break;
      --max_retries;
      young <<= 1;
    }
  }
  ext.Inc(TcpExtMib::kTCPTimeouts);  // tcp_syn_ack_timeout
  if (req->num_timeout >= max_retries) {
    DropRequest(req);
    return;
  }
  if (SendSynAck(*req, false, nullptr) == 0) {
    ++req->num_retrans;
    mib.Inc(TcpMib::kRetransSegs);
    ext.Inc(TcpExtMib::kTCPSynRetrans);
  }
  if (req->num_timeout++ == 0) --l->syn_young_;
  const absl::Duration t = std::min(kTimeoutInit * (int64_t{1} << req->num_timeout),
                                    absl::Milliseconds(config_.tcp_rto_max_ms));
  timers().Arm(req->timer, now() + t);
}

void Tcp::DropRequest(TcpRequestSock* req) {
  TcpSock* l = req->listener;
  --l->syn_qlen_;
  if (req->num_timeout == 0) --l->syn_young_;
  ehash_.erase(
      FourTuple{req->laddr.value(), req->raddr.value(), req->lport.value(), req->rport.value()});
  delete req;
}

// tcp_check_req: a segment for a SYN_RECV request.
void Tcp::RequestRcv(TcpRequestSock* req, SkbPtr skb, const TcpSegment& seg) {
  NetCore& core = inet_.core();
  TcpSock* l = req->listener;
  const SeqNum rcv_nxt = req->rcv_isn + 1;
  uint8_t flg = seg.flags & (kTcpSyn | kTcpAck | kTcpRst | kTcpFin);
  const bool paws_reject = req->tstamp_ok && seg.opt.has_timestamp && !seg.has(kTcpRst) &&
                           static_cast<int32_t>(req->ts_recent - seg.opt.tsval) > 1;
  // A retransmitted SYN: resend the SYN-ACK.
  if (seg.seq == req->rcv_isn && flg == kTcpSyn && !paws_reject) {
    if (SendSynAck(*req, false, &seg) == 0) {
      ++req->num_retrans;
      mib.Inc(TcpMib::kRetransSegs);
      // Linux tcp_check_req re-arms the request timer from this resend
      // (mod_timer_pending with reqsk_timeout).
      timers().Arm(req->timer, now() + std::min(kTimeoutInit * (int64_t{1} << req->num_timeout),
                                                absl::Milliseconds(config_.tcp_rto_max_ms)));
    }
    core.Consume(std::move(skb));
    return;
  }
  // An ACK for something we did not send: the listener answers with RST.
  if ((flg & kTcpAck) && seg.ack_seq != req->snt_isn + 1) {
    SendReset(seg, skb.get());
    core.Drop(std::move(skb), DropReason::kTCP_INVALID);
    return;
  }
  const uint32_t win = req->rcv_wnd;
  const bool in_window = !(seg.end_seq < rcv_nxt) && !(seg.seq > rcv_nxt + win) &&
                         (seg.end_seq != seg.seq || seg.seq <= rcv_nxt + win);
  if (paws_reject || !in_window) {
    if (!(flg & kTcpRst)) {
      // tcp_v4_reqsk_send_ack: the window already scaled by our shift.
      SendAckStateless(seg, req->snt_isn + 1, rcv_nxt, req->rcv_wnd >> req->rcv_wscale,
                       req->tstamp_ok ? TimestampMs() + req->ts_off : 0, req->ts_recent);
    }
    if (paws_reject) ext.Inc(TcpExtMib::kPAWSEstab);
    core.Drop(std::move(skb), DropReason::kTCP_INVALID);
    return;
  }
  if (seg.opt.has_timestamp && !(seg.seq > rcv_nxt)) req->ts_recent = seg.opt.tsval;
  if (seg.seq == req->rcv_isn) flg &= static_cast<uint8_t>(~kTcpSyn);  // the SYN is out of window
  if (flg & (kTcpRst | kTcpSyn)) {
    mib.Inc(TcpMib::kAttemptFails);
    if (!(flg & kTcpRst)) SendReset(seg, skb.get());
    ext.Inc(TcpExtMib::kEmbryonicRsts);
    DropRequest(req);
    core.Drop(std::move(skb), DropReason::kTCP_INVALID);
    return;
  }
  if (!(flg & kTcpAck)) {
    core.Drop(std::move(skb), DropReason::kTCP_INVALID);
    return;
  }
  // tcp_v4_syn_recv_sock: the accept queue must have room.
  if (l->accept_queue_.size() > l->backlog_) {
    ext.Inc(TcpExtMib::kListenOverflows);
    ext.Inc(TcpExtMib::kListenDrops);
    if (!config_.tcp_abort_on_overflow) {
      // Drop the ACK; the SYN-ACK timer will resend and the peer re-ACK.
      req->acked = true;
      core.Drop(std::move(skb), DropReason::kTCP_LISTEN_OVERFLOW);
      return;
    }
    SendReset(seg, skb.get());
    ext.Inc(TcpExtMib::kEmbryonicRsts);
    DropRequest(req);
    core.Drop(std::move(skb), DropReason::kTCP_LISTEN_OVERFLOW);
    return;
  }
  TcpSock* child = CreateChild(l, *req, seg);
  DropRequest(req);  // inet_csk_complete_hashdance: the child replaces it
  HashEstablished(child);
  child->Rcv(std::move(skb), seg);  // tcp_child_process: SYN_RECV -> ESTABLISHED
}

// cookie_v4_check.
TcpSock* Tcp::CookieCheck(TcpSock* l, SkbPtr& skb, const TcpSegment& seg) {
  if (config_.tcp_syncookies == 0) return nullptr;
  if (config_.tcp_syncookies != 2 &&
      absl::ToUnixSeconds(now()) > l->last_overflow_s_ + kSyncookieValidS) {
    return nullptr;  // no cookie sent recently: not ours
  }
  const uint16_t mss = CookieV4Check(cookie_keys_, seg.saddr, seg.daddr, seg.sport, seg.dport,
                                     seg.seq - 1, (seg.ack_seq - 1).value(), now());
  if (mss == 0) {
    ext.Inc(TcpExtMib::kSyncookiesFailed);
    return nullptr;  // the listener answers with RST
  }
  ext.Inc(TcpExtMib::kSyncookiesRecv);
  TcpRequestSock req(*this, l);
  req.laddr = seg.daddr;
  req.raddr = seg.saddr;
  req.lport = seg.dport;
  req.rport = seg.sport;
  req.rcv_isn = seg.seq - 1;
  req.snt_isn = seg.ack_seq - 1;
  req.first_synack_ns = -1;  // stateless: no SYN-ACK time to measure from
  req.mss = mss;
  // cookie_v4_check: undo the per-flow timestamp offset (when an echo is
  // there), then read the options the cookie timestamp carries; a cookie
  // claiming options this host has turned off is refused.
  uint32_t tsecr = seg.opt.tsecr;
  if (seg.opt.has_timestamp && tsecr != 0) {
    req.ts_off = SecureTcpTsOff(secrets_, seg.daddr, seg.saddr);
    tsecr -= req.ts_off;
  }
  CookieTsOptions o;
  const CookieTsSysctls sys{config_.tcp_timestamps != 0, config_.tcp_sack != 0,
                            config_.tcp_window_scaling != 0};
  if (!CookieTimestampDecode(tsecr, seg.opt.has_timestamp, &o, sys))
    return nullptr;  // the listener resets
  req.tstamp_ok = o.tstamp_ok;
  if (req.tstamp_ok) {
    req.ts_off = SecureTcpTsOff(secrets_, seg.daddr, seg.saddr);
    req.ts_recent = seg.opt.tsval;
  }
  req.sack_ok = o.sack_ok;
  req.wscale_ok = o.wscale_ok;
  req.snd_wscale = o.snd_wscale;
  req.adv_mss = AdvMss(seg.saddr, l->rx_opt_.user_mss);
  InitialWindow(req.adv_mss - (req.tstamp_ok ? 12 : 0), req.wscale_ok, &req.rcv_wnd,
                &req.rcv_wscale);
  if (l->accept_queue_.size() > l->backlog_) {
    ext.Inc(TcpExtMib::kListenOverflows);
    ext.Inc(TcpExtMib::kListenDrops);
    inet_.core().Drop(std::move(skb), DropReason::kTCP_LISTEN_OVERFLOW);
    return nullptr;
  }
  TcpSock* child = CreateChild(l, req, seg);
  HashEstablished(child);
  return child;
}

// tcp_v4_syn_recv_sock + tcp_create_openreq_child: the full socket for a
// completed handshake, in SYN_RECV until it processes the ACK, and queued
// on its listener's accept queue (inet_csk_complete_hashdance).
TcpSock* Tcp::CreateChild(TcpSock* l, const TcpRequestSock& req, const TcpSegment& seg) {
  auto* c = new TcpSock(*this);
  // What a child inherits from its listener (sk_clone).
  c->reuseaddr_ = l->reuseaddr_;
  c->reuseport_ = l->reuseport_;
  c->keepalive_ = l->keepalive_;
  c->linger_ = l->linger_;
  c->nodelay_ = l->nodelay_;
  c->ttl_ = l->ttl_;
  c->tos_ = l->tos_;
  c->keepidle_s_ = l->keepidle_s_;
  c->keepintvl_s_ = l->keepintvl_s_;
  c->keepcnt_ = l->keepcnt_;
  c->linger2_s_ = l->linger2_s_;
  c->user_timeout_ms_ = l->user_timeout_ms_;
  c->rx_opt_.user_mss = l->rx_opt_.user_mss;
  if (l->user_rcvbuf_) {
    c->rcvbuf_ = l->rcvbuf_;
    c->user_rcvbuf_ = true;
  }
  if (l->user_sndbuf_) {
    c->sndbuf_ = l->sndbuf_;
    c->user_sndbuf_ = true;
  }
  if (std::unique_ptr<CongestionControl> ca = MakeCongestionControl(l->ca_->name()))
    c->ca_ = std::move(ca);
  c->rcv_saddr_ = c->saddr_ = req.laddr;
  c->daddr_ = req.raddr;
  c->sport_ = req.lport;
  c->dport_ = req.rport;
  c->state_ = TcpState::kSynRecv;
  c->iss_ = req.snt_isn;
  c->snd_una_ = c->snd_nxt_ = c->write_seq_ = c->pushed_seq_ = c->snd_sml_ = req.snt_isn + 1;
  c->irs_ = req.rcv_isn;
  c->rcv_nxt_ = c->rcv_wup_ = c->copied_seq_ = req.rcv_isn + 1;
  c->snd_wl1_ = req.rcv_isn;
  c->rx_opt_.tstamp_ok = req.tstamp_ok;
  c->rx_opt_.sack_ok = req.sack_ok;
  c->rx_opt_.dsack_ok = req.sack_ok && config_.tcp_dsack;
  c->rx_opt_.wscale_ok = req.wscale_ok;
  c->rx_opt_.snd_wscale = req.snd_wscale;
  c->rx_opt_.rcv_wscale = req.rcv_wscale;
  c->rx_opt_.ts_recent = req.ts_recent;
  c->rx_opt_.ts_recent_stamp_s = absl::ToUnixSeconds(now());
  c->rx_opt_.mss_clamp = req.mss;
  c->ts_off_ = req.ts_off;
  c->snd_wnd_ = static_cast<uint32_t>(seg.window) << c->rx_opt_.snd_wscale;
  c->max_window_ = c->snd_wnd_;
  c->rcv_wnd_ = req.rcv_wnd;
  c->rcv_ssthresh_ = req.rcv_wnd;
  c->window_clamp_ = 65535u << c->rx_opt_.rcv_wscale;
  c->adv_mss_ = req.adv_mss;
  c->rcv_mss_ = std::min<uint32_t>(req.mss, 536);
  c->rto_ = absl::Seconds(1);
  c->SyncMss(0);
  c->ProcessSynAckRtt(req);
  if (c->srtt_us_ == 0 && req.tstamp_ok && seg.opt.has_timestamp && seg.opt.tsecr != 0) {
    // tcp_ack_update_rtt: when the SYN-ACK was resent (Karn), the echoed
    // timestamp still measures the RTT.
    const int32_t d = static_cast<int32_t>(TimestampMs() + req.ts_off - seg.opt.tsecr);
    if (d >= 0) {
      c->RttEstimator(absl::Milliseconds(std::max(1, d)));
      c->SetRto();
    }
  }
  c->parent_ = l;
  l->accept_queue_.push_back(c);
  mib.Inc(TcpMib::kPassiveOpens);
  return c;
}

// tcp_synack_rtt_meas: the handshake's RTT is the first sample, unless the
// SYN-ACK had to be resent (Karn).
void TcpSock::ProcessSynAckRtt(const TcpRequestSock& req) {
  // (A SYN-ACK sent at loop time 0 is a valid sample too; a cookie's
  // request sock, which sent none it remembers, says -1.)
  if (req.num_retrans == 0 && req.first_synack_ns >= 0) {
    RttEstimator(absl::Nanoseconds(tcp_.now_ns() - req.first_synack_ns));
    SetRto();
  }
}

// ---------------------------------------------------------------------------
// TIME_WAIT (tcp_timewait_state_process)

void Tcp::TimewaitTimer(TcpTimewaitSock* tw) {
  ehash_.erase(
      FourTuple{tw->laddr.value(), tw->raddr.value(), tw->lport.value(), tw->rport.value()});
  delete tw;
}

void Tcp::TimewaitRcv(TcpTimewaitSock* tw, SkbPtr skb, const TcpSegment& seg) {
  NetCore& core = inet_.core();
  const bool paws_reject = tw->tstamp_ok && seg.opt.has_timestamp && !seg.has(kTcpRst) &&
                           static_cast<int32_t>(tw->ts_recent - seg.opt.tsval) > 1 &&
                           absl::ToUnixSeconds(now()) < tw->ts_recent_stamp_s + 24 * 3600 * 24;
  auto ack = [&] {
    SendAckStateless(seg, tw->snd_nxt, tw->rcv_nxt, tw->rcv_wnd >> tw->rcv_wscale,
                     tw->tstamp_ok ? TimestampMs() + tw->ts_off : 0, tw->ts_recent);
  };
  auto kill = [&] { TimewaitTimer(tw); };
  if (tw->substate == TcpState::kFinWait2) {
    const bool in_window = !(seg.end_seq < tw->rcv_nxt) && !(seg.seq > tw->rcv_nxt + tw->rcv_wnd);
    if (paws_reject || !in_window) {
      ack();
      core.Drop(std::move(skb), DropReason::kTCP_INVALID);
      return;
    }
    if (seg.has(kTcpRst)) {
      kill();
      core.Consume(std::move(skb));
      return;
    }
    if (seg.has(kTcpSyn) && !(seg.seq < tw->rcv_nxt)) {
      SendReset(seg, skb.get());
      kill();
      core.Drop(std::move(skb), DropReason::kTCP_INVALID);
      return;
    }
    if (!seg.has(kTcpAck) || !(seg.end_seq > tw->rcv_nxt) || seg.end_seq == seg.seq) {
      core.Consume(std::move(skb));
      return;
    }
    // New data after our half-close: reset. A FIN: the real TIME_WAIT.
    if (!seg.has(kTcpFin) || seg.end_seq != tw->rcv_nxt + 1) {
      SendReset(seg, skb.get());
      kill();
      core.Drop(std::move(skb), DropReason::kTCP_INVALID);
      return;
    }
    tw->substate = TcpState::kTimeWait;
    tw->rcv_nxt = seg.end_seq;
    if (seg.opt.has_timestamp) {
      tw->ts_recent = seg.opt.tsval;
      tw->ts_recent_stamp_s = absl::ToUnixSeconds(now());
    }
    timers().Arm(tw->timer, now() + kTimewaitLen);
    ack();
    core.Consume(std::move(skb));
    return;
  }
  // Real TIME_WAIT.
  if (!paws_reject && seg.seq == tw->rcv_nxt && (seg.seq == seg.end_seq || seg.has(kTcpRst))) {
    if (seg.has(kTcpRst)) {
      if (!config_.tcp_rfc1337) {  // TIME_WAIT assassination (RFC 1337 hazard), as Linux
        kill();
        core.Consume(std::move(skb));
        return;
      }
    } else {
      timers().Arm(tw->timer, now() + kTimewaitLen);
    }
    if (seg.opt.has_timestamp) {
      tw->ts_recent = seg.opt.tsval;
      tw->ts_recent_stamp_s = absl::ToUnixSeconds(now());
    }
    core.Consume(std::move(skb));
    return;
  }
  // A new SYN may reopen the connection if it is clearly newer (RFC 1122).
  if (seg.has(kTcpSyn) && !seg.has(kTcpRst) && !seg.has(kTcpAck) && !paws_reject &&
      (seg.seq > tw->rcv_nxt ||
       (seg.opt.has_timestamp && static_cast<int32_t>(tw->ts_recent - seg.opt.tsval) < 0))) {
    TcpSock* l = LookupListener(seg);
    if (l != nullptr) {
      kill();
      ListenRcv(l, std::move(skb), seg);
      return;
    }
  }
  if (paws_reject) ext.Inc(TcpExtMib::kPAWSActive);
  if (!seg.has(kTcpRst)) {
    if (paws_reject || seg.has(kTcpAck)) timers().Arm(tw->timer, now() + kTimewaitLen);
    ack();
    core.Drop(std::move(skb), DropReason::kTCP_INVALID);
    return;
  }
  core.Consume(std::move(skb));
}

// tcp_v4_err: an ICMP error about one of our segments.
void Tcp::Err(const IcmpErr& err) {
  if (err.inner_l4.size() < 8) return;
  const Port sport(LoadBe16(err.inner_l4.data()));
  const Port dport(LoadBe16(err.inner_l4.data() + 2));
  const SeqNum seq(LoadBe32(err.inner_l4.data() + 4));
  auto it = ehash_.find(
      FourTuple{err.inner.src().value(), err.inner.dst().value(), sport.value(), dport.value()});
  if (it == ehash_.end()) return;
  if (it->second.kind == EhashEntry::kRequest) {
    // An error about our SYN-ACK: a hard error kills the request.
    auto* req = static_cast<TcpRequestSock*>(it->second.p);
    if (seq == req->snt_isn && IcmpToErrno(err.type, err.code).fatal) DropRequest(req);
    return;
  }
  if (it->second.kind != EhashEntry::kFull) return;
  auto* sk = static_cast<TcpSock*>(it->second.p);
  // Only errors quoting a sequence number in flight are believed.
  if (!SeqNum::Between(seq, sk->snd_una_, sk->snd_nxt_)) {
    ext.Inc(TcpExtMib::kOutOfWindowIcmps);
    return;
  }
  if (err.type == kIcmpDestUnreach && err.code == kIcmpFragNeeded) {
    sk->MtuReduced(err.info);  // path MTU discovery
    return;
  }
  const IcmpErrno e = IcmpToErrno(err.type, err.code);
  if (e.err == 0) return;
  // A hard error ends a connection still opening; otherwise it is only
  // reported (soft error), as tcp_v4_err does.
  if (sk->state_ == TcpState::kSynSent || sk->state_ == TcpState::kSynRecv) {
    if (e.fatal) {
      sk->ReportError(e.err);
      sk->Done();
    }
    return;
  }
  if (sk->recverr_) sk->ReportError(e.err);
}

}  // namespace usnet
