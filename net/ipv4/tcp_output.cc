// TCP transmission (Linux net/ipv4/tcp_output.c). Data sits on the write
// queue in MSS-sized skbs until the congestion window, the peer's window
// and Nagle allow it out; what is sent moves to the retransmit queue and a
// clone goes to IP (the original stays for retransmission: no payload
// copy). Control segments (ACK, RST, window probes) are built fresh.
#include <algorithm>
#include <cstring>

#include "net/core/skb_bits.h"
#include "net/ipv4/tcp.h"

namespace usnet {

namespace {
constexpr uint8_t kAckSched = 1, kAckTimer = 2, kAckPushed = 4, kAckNow = 8;
constexpr absl::Duration kDelackMax = absl::Milliseconds(200);
constexpr absl::Duration kAtoMin = absl::Milliseconds(40);
}  // namespace

// tcp_current_mss: the MSS less the SACK option we would attach now
// (NOP NOP kind len + 8 bytes a block, as many as fit beside timestamps).
uint32_t TcpSock::CurrentMss() const {
  const int blocks = std::min<int>(num_sacks_ + (dsack_ ? 1 : 0), rx_opt_.tstamp_ok ? 3 : 4);
  const uint32_t sack_len = blocks > 0 ? 4 + 8 * static_cast<uint32_t>(blocks) : 0;
  return mss_cache_ > sack_len + 48 ? mss_cache_ - sack_len : mss_cache_;
}

bool TcpSock::SplitSkb(SkbQueue& q, SkBuff* skb, uint32_t len, bool own_skb_cost) {
  if (len == 0 || len >= skb->len()) return false;
  TcpSkbCb& cb = skb->Cb<TcpSkbCb>();
  const uint32_t rest = skb->len() - len;
  SkbPtr tail = core_.AllocHeaderSkb();
  if (!tail) return false;
  // A queued segment's payload is in one piece: linear (as written) or a
  // fragment (an earlier split's tail).
  USNET_DCHECK(skb->headlen() == 0 || !skb->has_frag());
  const std::byte* payload = skb->has_frag() ? skb->frag().data() : skb->data();
  tail->AttachFrag(*skb, payload + len, rest);
  tail->ReleaseHeader();
  TcpSkbCb& tcb = tail->InitCb<TcpSkbCb>();
  tcb = cb;
  tcb.seq = cb.seq + len;
  tcb.truesize = rest + (own_skb_cost ? kTcpSkbTruesize : 0);
  cb.end_seq = cb.seq + len;
  cb.tcp_flags &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));  // the FIN stays with the tail
  cb.truesize -= std::min(cb.truesize, rest);
  (void)skb->Trim(len);
  skb->SealTail();
  tail->gso_size = skb->gso_size;
  if (own_skb_cost) wmem_queued_ += kTcpSkbTruesize;
  const bool counted = &q == &rtx_queue_;
  q.InsertBefore(SkbQueue::next(skb), std::move(tail));
  if (counted) {
    ++packets_out_;
    if (cb.sacked & TcpSkbCb::kLost) ++lost_out_;
    if (cb.sacked & TcpSkbCb::kSackedAcked) ++sacked_out_;
    if (cb.sacked & TcpSkbCb::kSackedRetrans) ++retrans_out_;
  }
  return true;
}

// tcp_v4_mtu_reduced: only a path MTU below the one we use matters; then
// every segment too big for it is lost and resent in smaller pieces.
void TcpSock::MtuReduced(uint32_t mtu) {
  if (mtu < 68 || mtu >= pmtu_ || pmtu_disc_off()) return;
  SyncMss(mtu);
  const uint32_t mss = CurrentMss();
  for (SkBuff* s = rtx_queue_.front(); s != nullptr; s = SkbQueue::next(s)) {
    TcpSkbCb& cb = s->Cb<TcpSkbCb>();
    if (s->len() > mss && !(cb.sacked & (TcpSkbCb::kSackedAcked | TcpSkbCb::kLost))) {
      if (cb.sacked & TcpSkbCb::kSackedRetrans) {
        cb.sacked &= static_cast<uint8_t>(~TcpSkbCb::kSackedRetrans);
        --retrans_out_;
      }
      cb.sacked |= TcpSkbCb::kLost;
      ++lost_out_;
    }
  }
  XmitRetransmitQueue();
}

// tcp_sync_mss: MSS from the path MTU (0: keep), the peer's MSS option and
// TCP_MAXSEG, less the timestamp option when in use.
void TcpSock::SyncMss(uint32_t pmtu) {
  uint32_t mtu = pmtu;
  if (mtu == 0) {
    std::optional<RouteResult> rt = inet_.RouteOutput(daddr_, rcv_saddr_);
    mtu = rt ? rt->mtu : 576;
    route_caps_ = rt && rt->dev != nullptr ? rt->dev->features() : 0;  // sk_setup_caps
  }
  uint32_t mss = mtu - kIpv4MinHeaderLen - kTcpMinHeaderLen;
  mss = std::min<uint32_t>(mss, rx_opt_.mss_clamp);
  if (rx_opt_.user_mss) mss = std::min<uint32_t>(mss, rx_opt_.user_mss);
  if (rx_opt_.tstamp_ok) mss -= 12;          // TCPOLEN_TSTAMP_ALIGNED
  mss_cache_ = std::max<uint32_t>(mss, 48);  // TCP_MIN_SND_MSS less options
  pmtu_ = mtu;
  cc_.mss = mss_cache_;
}

// __tcp_select_window: free receive space, never growing past rcv_ssthresh,
// rounded to the MSS without scaling or to the scale granule with it; a
// zero window when little space is left (receiver SWS avoidance).
uint32_t TcpSock::SelectWindowPeek() const {
  const int adv = tcp_.config().tcp_adv_win_scale;
  auto win_from_space = [adv](int64_t space) {
    if (space <= 0) return int64_t{0};
    return adv > 0 ? space - (space >> adv) : space >> -adv;
  };
  int64_t mss = rcv_mss_;
  int64_t free_space =
      win_from_space(static_cast<int64_t>(rcvbuf_) - static_cast<int64_t>(rmem_alloc_));
  const int64_t allowed = win_from_space(rcvbuf_);
  const int64_t full = std::min<int64_t>(window_clamp_, allowed);
  if (mss > full) {
    mss = full;
    if (mss <= 0) return 0;
  }
  const int ws = rx_opt_.rcv_wscale;
  if (free_space < (full >> 1)) {
    free_space &= ~((int64_t{1} << ws) - 1);
    if (free_space < (allowed >> 4) || free_space < mss) return 0;
  }
  if (free_space > rcv_ssthresh_) free_space = rcv_ssthresh_;
  int64_t window;
  if (ws) {
    window = (free_space + (int64_t{1} << ws) - 1) & ~((int64_t{1} << ws) - 1);
  } else {
    window = rcv_wnd_;
    if (window <= free_space - mss || window > free_space) {
      window = (free_space / std::max<int64_t>(mss, 1)) * mss;
    } else if (mss == full && free_space > window + (full >> 1)) {
      window = free_space;
    }
  }
  return static_cast<uint32_t>(std::max<int64_t>(window, 0));
}

// tcp_select_window: never shrink what we offered; remember the new edge.
uint16_t TcpSock::SelectWindow() {
  const uint32_t old_win = rcv_wnd_;
  const uint32_t cur_win = ReceiveWindow(rcv_wup_, rcv_wnd_, rcv_nxt_);
  uint32_t new_win = SelectWindowPeek();
  const int ws = rx_opt_.rcv_wscale;
  if (new_win < cur_win) {
    if (new_win == 0) tcp_.ext.Inc(TcpExtMib::kTCPWantZeroWindowAdv);
    new_win = (cur_win + (1u << ws) - 1) & ~((1u << ws) - 1);
  }
  rcv_wnd_ = new_win;
  rcv_wup_ = rcv_nxt_;
  new_win = std::min<uint32_t>(new_win, 65535u << ws);
  new_win >>= ws;
  if (new_win == 0) {
    if (old_win) tcp_.ext.Inc(TcpExtMib::kTCPToZeroWindowAdv);
  } else if (old_win == 0) {
    tcp_.ext.Inc(TcpExtMib::kTCPFromZeroWindowAdv);
  }
  return static_cast<uint16_t>(new_win);
}

// tcp_grow_window: let the offered window grow as data arrives.
void TcpSock::GrowWindow(uint32_t len) {
  (void)len;
  const int adv = tcp_.config().tcp_adv_win_scale;
  const int64_t space = static_cast<int64_t>(rcvbuf_) - static_cast<int64_t>(rmem_alloc_);
  const int64_t free_win = adv > 0 ? space - (space >> adv) : space >> -adv;
  if (rcv_ssthresh_ < window_clamp_ && static_cast<int64_t>(rcv_ssthresh_) < free_win) {
    rcv_ssthresh_ = std::min<uint32_t>(rcv_ssthresh_ + 2 * adv_mss_, window_clamp_);
  }
}

// tcp_transmit_skb: a clone of `skb` (or, if an earlier clone still owns
// the headroom, a counted copy) gets a TCP header with options and the
// current ACK and window, and goes to IP.
int TcpSock::TransmitSkb(SkBuff& skb, bool clone) {
  (void)clone;
  TcpSkbCb& cb = skb.Cb<TcpSkbCb>();
  SkbPtr out;
  if (skb.len() > 0) {
    // Data: a small header packet whose fragment is the queued payload
    // (pinned, never copied, however often it is sent).
    out = core_.AllocHeaderSkb();
    if (!out) return -ENOBUFS;
    const std::byte* payload = skb.has_frag() ? skb.frag().data() : skb.data();
    out->AttachFrag(skb, payload, skb.len());
    if (skb.gso_size != 0 && skb.len() > skb.gso_size) {
      out->gso_type = GsoType::kTcpV4;  // a TSO super-frame of gso_size segments
      out->gso_size = skb.gso_size;
    }
  } else if (skb.HeaderShared()) {
    // A control segment whose last transmission still holds our headroom.
    out = core_.AllocSkb(kMaxHeaderRoom, 0);
    if (!out) return -ENOBUFS;
  } else {
    out = core_.pool().Clone(skb);
  }
  const bool syn = (cb.tcp_flags & kTcpSyn) != 0;
  TcpRepr r;
  r.src_port = sport_;
  r.dst_port = dport_;
  r.seq = cb.seq;
  r.flags = cb.tcp_flags;
  if (!(syn && !(cb.tcp_flags & kTcpAck))) {
    r.flags |= kTcpAck;
    r.ack = rcv_nxt_;
  }
  if (syn) {
    // SYN and SYN-ACK: the unscaled window; every option we support.
    r.window = static_cast<uint16_t>(std::min<uint32_t>(rcv_wnd_, 65535));
    r.opts.mss = static_cast<uint16_t>(adv_mss_);
    const TcpConfig& c = tcp_.config();
    // A full socket sends a SYN-ACK only in a simultaneous open; like the
    // SYN it offers what the sysctls allow (tcp_syn_options), whatever the
    // peer's SYN had: its wscale is then 0 if the peer cannot scale.
    r.opts.sack_permitted = c.tcp_sack != 0;
    if (c.tcp_window_scaling != 0) r.opts.wscale = rx_opt_.rcv_wscale;
    if (c.tcp_timestamps != 0) {
      r.opts.has_timestamp = true;
      r.opts.tsval = tcp_.TimestampMs() + ts_off_;
      r.opts.tsecr = rx_opt_.ts_recent;  // 0 in a SYN
    }
  } else {
    r.window = SelectWindow();
    if (rx_opt_.tstamp_ok) {
      r.opts.has_timestamp = true;
      r.opts.tsval = tcp_.TimestampMs() + ts_off_;
      r.opts.tsecr = rx_opt_.ts_recent;
    }
    if (rx_opt_.sack_ok && (dsack_ || num_sacks_ > 0)) {
      int max_blocks = r.opts.has_timestamp ? 3 : 4;
      // Never let the option push a full segment past the path MTU.
      const int64_t room = static_cast<int64_t>(pmtu_ ? pmtu_ : 1500) - kIpv4MinHeaderLen -
                           kTcpMinHeaderLen - (r.opts.has_timestamp ? 12 : 0) - skb.len();
      max_blocks = static_cast<int>(std::clamp<int64_t>((room - 4) / 8, 0, max_blocks));
      int n = 0;
      if (dsack_) {
        r.opts.sack[n++] = duplicate_sack_;
        dsack_ = false;
      }
      for (int i = 0; i < num_sacks_ && n < max_blocks; ++i) r.opts.sack[n++] = selective_acks_[i];
      r.opts.num_sack = static_cast<uint8_t>(n);
    }
  }
  const size_t hl = r.HeaderLen();
  std::byte* h = out->Push(hl);
  USNET_CHECK(h != nullptr);
  r.Emit(h);
  out->SetTransportHeader();
  if (route_caps_ & kFeatureHwCsum) {
    // The device finishes it (CHECKSUM_PARTIAL), per segment for TSO.
    TcpPartialChecksum(h, out->len(), rcv_saddr_, daddr_);
    out->ip_summed = CsumState::kPartial;
    out->csum_start = static_cast<uint32_t>(h - out->head());
    out->csum_offset = 16;
  } else if (!out->has_frag()) {
    TcpFillChecksum(h, out->len(), rcv_saddr_, daddr_);
  } else {
    StoreCsum(h + 16, 0);
    const uint32_t pseudo =
        PseudoHeaderSum(rcv_saddr_, daddr_, kIpProtoTcp, static_cast<uint16_t>(out->len()));
    StoreCsum(h + 16, CsumFold(SkbChecksum(*out, 0, out->len(), pseudo)));
  }
  // tcp_event_ack_sent: this segment carries our ACK.
  if (r.flags & kTcpAck) {
    if (ack_quick_ > 0) --ack_quick_;
    ack_pending_ = 0;
    rcv_segs_since_ack_ = 0;
    tcp_.timers().Cancel(delack_timer_);
  }
  const uint32_t data = skb.len();
  if (data > 0) {
    // tcp_event_data_sent: a reply soon after data came in means ping-pong.
    const int64_t now = tcp_.now_ns();
    if (now - lrcvtime_ns_ < absl::ToInt64Nanoseconds(ato_)) ack_pingpong_ = true;
    lsndtime_ns_ = now;
    data_segs_out_ += TcpSegs(*out);
    bytes_sent_ += data;
  }
  segs_out_ += TcpSegs(*out);
  return tcp_.OutputSegment(std::move(out), rcv_saddr_, daddr_, tos_);
}

// tcp_nagle_test (with Minshall's refinement): a short segment waits while
// a previous short segment is unacknowledged, unless TCP_NODELAY; with
// TCP_CORK it always waits. Full segments, the last FIN, and non-last
// skbs go at once.
bool TcpSock::NagleOk(const SkBuff& skb, uint32_t mss, bool last) const {
  if (!last) return true;
  const TcpSkbCb& cb = skb.Cb<TcpSkbCb>();
  if (cb.tcp_flags & kTcpFin) return true;
  if (skb.len() >= mss) return true;
  if (cork_) return false;
  if (nodelay_) return true;
  const bool small_unacked = packets_out_ > 0 && snd_sml_ > snd_una_ && !(snd_sml_ > snd_nxt_);
  return !small_unacked;
}

uint32_t TcpSock::SendWindowEnd() const { return (snd_una_ + snd_wnd_).value(); }

// tcp_update_pacing_rate (bytes/s): twice cwnd per RTT in slow start,
// 1.2 times after; unlimited before the first RTT sample.
uint64_t TcpSock::PacingRate() const {
  if (srtt_us_ == 0) return UINT64_MAX;
  uint64_t rate = uint64_t{mss_cache_} * ((1000000 / 100) << 3);
  rate *= cc_.snd_cwnd < cc_.snd_ssthresh / 2 ? 200 : 120;
  rate *= std::max(cc_.snd_cwnd, packets_out_);
  return rate / srtt_us_;
}

// tcp_tso_autosize: about 1 ms of data at the pacing rate (sk_pacing_shift
// 10), more on short paths (tcp_tso_rtt_log), at least tcp_min_tso_segs.
uint32_t TcpSock::TsoSegs(uint32_t mss) const {
  const TcpConfig& c = tcp_.config();
  uint64_t bytes = PacingRate() >> 10;
  const uint32_t r = c.tcp_tso_rtt_log < 32 ? min_rtt_us_ >> c.tcp_tso_rtt_log : 32;
  if (r < 32) bytes += kTcpGsoMaxSize >> r;
  bytes = std::min<uint64_t>(bytes, kTcpGsoMaxSize);
  return std::max(static_cast<uint32_t>(bytes / mss), static_cast<uint32_t>(c.tcp_min_tso_segs));
}

// tcp_xmit_size_goal with tcp_bound_to_half_wnd: skbs as big as a GSO
// frame, but no more than half the peer's largest window, in whole MSS.
// Linux builds them for every device (GSO segments them in software where
// the device cannot); so do we: the send buffer holds what Linux's holds.
uint32_t TcpSock::SizeGoal(uint32_t mss) const {
  if (!(route_caps_ & kFeatureTso)) return mss;
  uint32_t goal = kTcpGsoMaxSize;
  const uint32_t cutoff = max_window_ > 536 ? max_window_ / 2 : max_window_;
  const uint32_t header_len = kTcpMinHeaderLen + (rx_opt_.tstamp_ok ? 12 : 0);
  if (cutoff != 0 && goal > cutoff) goal = std::max(cutoff, 68 - header_len);
  return std::max(goal / mss * mss, mss);
}

// tcp_mss_split_point: as much of `skb` as max_segs and the peer's window
// allow, in whole MSS unless the short tail may go now (Nagle, cork).
uint32_t TcpSock::MssSplitPoint(const SkBuff& skb, uint32_t mss, uint32_t max_segs) const {
  const TcpSkbCb& cb = skb.Cb<TcpSkbCb>();
  const uint32_t window = static_cast<uint32_t>((snd_una_ + snd_wnd_) - cb.seq);
  const uint32_t max_len = mss * max_segs;
  if (max_len <= window && &skb != write_queue_.back()) return max_len;
  const uint32_t needed = std::min(skb.len(), window);
  if (max_len <= needed) return max_len;
  const uint32_t partial = needed % mss;
  // tcp_nagle_check.
  const bool small_unacked = snd_sml_ > snd_una_ && !(snd_sml_ > snd_nxt_);
  if (partial != 0 && (cork_ || (!nodelay_ && packets_out_ > 0 && small_unacked))) {
    return needed - partial;
  }
  return needed;
}

// tcp_tso_should_defer: with room for only part of a multi-segment skb,
// wait a little for ACKs to open more, unless waiting would cost (a
// recovery, an idle pause, a big enough share of the window, an ACK not
// due before half an RTT, a FIN).
bool TcpSock::TsoShouldDefer(const SkBuff& skb, uint32_t mss, uint32_t max_segs,
                             uint32_t cwnd_quota, bool* cwnd_limited) const {
  if (ca_state_ >= CaState::kRecovery) return false;
  const int64_t now = tcp_.now_ns();
  if (now - lsndtime_ns_ > 1000000) return false;
  const TcpSkbCb& cb = skb.Cb<TcpSkbCb>();
  const uint32_t send_win = static_cast<uint32_t>((snd_una_ + snd_wnd_) - cb.seq);
  const uint32_t cong_win = cwnd_quota * mss_cache_;
  const uint32_t limit = std::min(send_win, cong_win);
  if (limit >= max_segs * mss_cache_) return false;
  if (&skb != write_queue_.back() && limit >= skb.len()) return false;
  const int div = tcp_.config().tcp_tso_win_divisor;
  if (div != 0) {
    const uint32_t chunk =
        std::min(snd_wnd_, cc_.snd_cwnd * mss_cache_) / static_cast<uint32_t>(div);
    if (limit >= chunk) return false;
  } else if (limit > 3 * mss_cache_) {  // tcp_max_tso_deferred_mss
    return false;
  }
  const SkBuff* head = rtx_queue_.front();
  if (head == nullptr) return false;
  if (now - head->Cb<TcpSkbCb>().tx_ns < int64_t{srtt_us_ >> 4} * 1000) return false;
  if (cong_win < send_win) {
    if (cong_win <= skb.len()) {
      *cwnd_limited = true;
      return true;
    }
  } else if (send_win <= skb.len()) {
    return true;
  }
  (void)mss;
  return !(cb.tcp_flags & kTcpFin);
}

// tcp_transmit_skb + tcp_event_new_data_sent: the head of the write queue
// goes out (a TSO frame if longer than an MSS) and moves to the retransmit
// queue, where it is kept as per-MSS pieces of the same block (so SACK,
// loss marking and retransmission work segment by segment; no copy).
bool TcpSock::XmitNewData(SkBuff* skb, uint32_t mss) {
  TcpSkbCb& cb = skb->Cb<TcpSkbCb>();
  const int64_t now = tcp_.now_ns();
  if (cb.first_tx_ns == 0) cb.first_tx_ns = now;
  cb.tx_ns = now;
  skb->gso_size = static_cast<uint16_t>(mss);
  if (TransmitSkb(*skb, true) != 0) return false;
  rtx_queue_.PushBack(write_queue_.Unlink(skb));
  snd_nxt_ = cb.end_seq;
  if (skb->len() == 0 || skb->len() % mss != 0) snd_sml_ = cb.end_seq;  // tcp_minshall_update
  ++packets_out_;
  uint32_t segs = 1;
  for (SkBuff* p = skb; p->len() > mss && SplitSkb(rtx_queue_, p, mss, /*own_skb_cost=*/false);
       p = SkbQueue::next(p)) {
    ++segs;
  }
  tcp_.ext.Inc(TcpExtMib::kTCPOrigDataSent, segs);
  if (xmit_timer_kind_ != XmitTimer::kRetrans) ResetXmitTimer(rto_);
  return true;
}

// tcp_write_xmit: send what the windows and Nagle allow; with TSO, as few
// frames as the windows and tcp_tso_autosize allow.
void TcpSock::WriteXmit(bool push_one) {
  if (state_ == TcpState::kSynSent || state_ == TcpState::kListen || state_ == TcpState::kClose)
    return;
  const uint32_t mss = CurrentMss();
  const bool tso = (route_caps_ & kFeatureTso) != 0;
  const uint32_t max_segs = tso ? TsoSegs(mss) : 1;
  bool sent = false;
  bool cwnd_limited = false;
  while (SkBuff* skb = write_queue_.front()) {
    TcpSkbCb& cb = skb->Cb<TcpSkbCb>();
    const uint32_t in_flight = InFlight(packets_out_, sacked_out_, lost_out_, retrans_out_);
    if (in_flight >= cc_.snd_cwnd) {  // tcp_cwnd_test
      cwnd_limited = true;
      break;
    }
    const uint32_t cwnd_quota = cc_.snd_cwnd - in_flight;
    // tcp_snd_wnd_test: the first segment must fit the peer's window.
    const SeqNum end = skb->len() > mss ? cb.seq + mss : cb.end_seq;
    if (end > snd_una_ + snd_wnd_) break;
    const uint32_t tso_segs = skb->len() > mss ? (skb->len() + mss - 1) / mss : 1;
    if (tso_segs == 1) {
      if (!NagleOk(*skb, mss, SkbQueue::next(skb) == nullptr)) break;
    } else if (tso && !push_one && TsoShouldDefer(*skb, mss, max_segs, cwnd_quota, &cwnd_limited)) {
      break;
    }
    uint32_t limit = mss;
    if (tso_segs > 1 && tso) limit = MssSplitPoint(*skb, mss, std::min(cwnd_quota, max_segs));
    if (skb->len() > limit && !SplitSkb(write_queue_, skb, limit)) break;
    if (!XmitNewData(skb, mss)) break;
    sent = true;
    if (push_one) break;
  }
  // Nothing in flight, data waiting, window closed: probe it (persist timer).
  cwnd_limited |= InFlight(packets_out_, sacked_out_, lost_out_, retrans_out_) >= cc_.snd_cwnd;
  if (sent || cwnd_limited) CwndValidate(cwnd_limited);
  // tcp_check_probe_timer arms the same timer when the window is open but
  // TCP_CORK or MSG_MORE hold a short tail, at tcp_probe0_base = max(RTO,
  // rto_min); SendProbe0 (tcp_write_wakeup) then sends the held data, so
  // corked data leaves after about 200 ms, as on Linux.
  if (!sent && packets_out_ == 0 && !write_queue_.empty() && xmit_timer_kind_ == XmitTimer::kNone) {
    const TcpSkbCb& cb = write_queue_.front()->Cb<TcpSkbCb>();
    const bool window_closed = cb.end_seq > snd_una_ + snd_wnd_;
    xmit_timer_kind_ = XmitTimer::kProbe0;
    const absl::Duration when =
        std::min(window_closed ? rto_ * (int64_t{1} << backoff_) : std::max(rto_, RtoMin()),
                 absl::Milliseconds(tcp_.config().tcp_rto_max_ms));
    rtx_timer_expires_ = tcp_.now() + when;
    tcp_.timers().Arm(rtx_timer_, rtx_timer_expires_);
  }
}

// tcp_cwnd_validate: remember the most packets out in each window, and
// whether cwnd (rather than the application or the peer's window) was the
// limit then; congestion avoidance grows only a window that was used.
void TcpSock::CwndValidate(bool cwnd_limited) {
  if (!(snd_una_ < cwnd_usage_seq_) || cwnd_limited || packets_out_ > cc_.max_packets_out) {
    cc_.max_packets_out = packets_out_;
    cwnd_usage_seq_ = snd_nxt_;
    cc_.is_cwnd_limited = cwnd_limited;
  }
}

void TcpSock::PushPending() { WriteXmit(); }

// tcp_send_ack: a bare ACK, built fresh.
void TcpSock::SendAck() {
  if (state_ == TcpState::kClose || state_ == TcpState::kListen) return;
  SkbPtr skb = core_.AllocSkb(kMaxHeaderRoom, 0);
  if (!skb) return;
  TcpSkbCb& cb = skb->InitCb<TcpSkbCb>();
  cb.seq = cb.end_seq = snd_nxt_;
  cb.tcp_flags = kTcpAck;
  skb->ReleaseHeader();
  TransmitSkb(*skb, true);
  core_.Consume(std::move(skb));
}

// tcp_send_delayed_ack.
void TcpSock::SendDelayedAck() {
  absl::Duration ato = ato_;
  if (ato == absl::ZeroDuration()) {
    // No data has come yet, so no ATO (a bare FIN): Linux arms the timer
    // for jiffies + 0, which fires at once.
    SendAck();
    return;
  }
  if (ato > kAtoMin) {
    absl::Duration max_ato = absl::Milliseconds(500);
    if (ack_pingpong_ || (ack_pending_ & kAckPushed)) max_ato = kDelackMax;
    if (srtt_us_) {
      const absl::Duration rtt = std::max(absl::Microseconds(srtt_us_ >> 3), kAtoMin);
      if (rtt < max_ato) max_ato = rtt;
    }
    ato = std::min(ato, max_ato);
  }
  ato = std::min(ato, kDelackMax);
  if (ato < absl::Microseconds(tcp_.config().tcp_delack_min_us))
    ato = absl::Microseconds(tcp_.config().tcp_delack_min_us);
  absl::Time timeout = tcp_.now() + ato;
  if (ack_pending_ & kAckTimer) {
    const absl::Time cur = tcp_.timers().TimeOfTick(delack_timer_.expires_tick());
    if (cur <= tcp_.now() + ato / 4) {  // about to fire anyway: ACK now
      SendAck();
      return;
    }
    if (!(timeout < cur)) timeout = cur;
  }
  ack_pending_ |= kAckSched | kAckTimer;
  tcp_.timers().Arm(delack_timer_, timeout);
}

// tcp_send_fin: the FIN rides on the last unsent skb, or a new one.
void TcpSock::SendFin() {
  SkBuff* tail = write_queue_.back();
  if (tail != nullptr) {
    TcpSkbCb& cb = tail->Cb<TcpSkbCb>();
    cb.tcp_flags |= kTcpFin;
    cb.end_seq += 1;
  } else {
    SkbPtr skb = core_.AllocSkb(kMaxHeaderRoom, 0);
    if (!skb) return;
    TcpSkbCb& cb = skb->InitCb<TcpSkbCb>();
    cb.seq = write_seq_;
    cb.end_seq = write_seq_ + 1;
    cb.tcp_flags = kTcpFin | kTcpAck;
    skb->ReleaseHeader();
    cb.truesize = kTcpSkbTruesize;
    wmem_queued_ += kTcpSkbTruesize;
    write_queue_.PushBack(std::move(skb));
  }
  write_seq_ += 1;
  fin_sent_ = true;
  WriteXmit();  // the FIN is never held by Nagle
}

// tcp_send_active_reset.
void TcpSock::SendActiveReset() {
  SkbPtr skb = core_.AllocSkb(kMaxHeaderRoom, 0);
  if (!skb) return;
  TcpRepr r;
  r.src_port = sport_;
  r.dst_port = dport_;
  r.seq = snd_nxt_;
  r.ack = rcv_nxt_;
  r.flags = kTcpRst | kTcpAck;
  // Linux builds it with tcp_transmit_skb, so it offers the current window
  // (only the stateless tcp_v4_send_reset says 0).
  r.window = SelectWindow();
  if (rx_opt_.tstamp_ok) {
    r.opts.has_timestamp = true;
    r.opts.tsval = tcp_.TimestampMs() + ts_off_;
    r.opts.tsecr = rx_opt_.ts_recent;
  }
  const size_t hl = r.HeaderLen();
  std::byte* h = skb->Push(hl);
  r.Emit(h);
  TcpFillChecksum(h, hl, rcv_saddr_, daddr_);
  skb->SetTransportHeader();
  tcp_.mib.Inc(TcpMib::kOutRsts);
  ++segs_out_;
  tcp_.OutputSegment(std::move(skb), rcv_saddr_, daddr_, tos_);
}

// tcp_xmit_probe_skb: a segment one byte before snd_una: the peer answers
// with an ACK carrying its current window (zero-window probe, keepalive).
void TcpSock::SendProbe0() {
  // tcp_write_wakeup: a window that is open but too small for the head
  // segment (so WriteXmit held it) is probed with as much data as fits,
  // PSH set; only a closed window gets the empty probe below.
  SkBuff* head = write_queue_.front();
  if (head != nullptr && state_ != TcpState::kClose &&
      head->Cb<TcpSkbCb>().seq < snd_una_ + snd_wnd_) {
    TcpSkbCb& cb = head->Cb<TcpSkbCb>();
    const uint32_t mss = CurrentMss();
    const uint32_t seg_size = static_cast<uint32_t>((snd_una_ + snd_wnd_) - cb.seq);
    if (seg_size < static_cast<uint32_t>(cb.end_seq - cb.seq) || head->len() > mss) {
      if (!SplitSkb(write_queue_, head, std::min(seg_size, mss))) return;
    }
    cb.tcp_flags |= kTcpPsh;
    if (XmitNewData(head, mss)) ResetXmitTimer(rto_);
    return;
  }
  SkbPtr skb = core_.AllocSkb(kMaxHeaderRoom, 0);
  if (!skb) return;
  TcpSkbCb& cb = skb->InitCb<TcpSkbCb>();
  cb.seq = cb.end_seq = snd_una_ - 1;
  cb.tcp_flags = kTcpAck;
  skb->ReleaseHeader();
  TransmitSkb(*skb, true);
  core_.Consume(std::move(skb));
}

void TcpSock::SendKeepalive() {
  tcp_.ext.Inc(TcpExtMib::kTCPKeepAlive);
  SendProbe0();
}

// tcp_connect: queue the SYN on the retransmit queue and send it.
int TcpSock::SendSyn() {
  SkbPtr skb = core_.AllocSkb(kMaxHeaderRoom, 0);
  if (!skb) return -ENOBUFS;
  TcpSkbCb& cb = skb->InitCb<TcpSkbCb>();
  cb.seq = iss_;
  cb.end_seq = iss_ + 1;
  cb.tcp_flags = kTcpSyn;
  cb.first_tx_ns = cb.tx_ns = tcp_.now_ns();
  skb->ReleaseHeader();
  retrans_stamp_ns_ = tcp_.now_ns();
  snd_nxt_ = write_seq_ = pushed_seq_ = iss_ + 1;
  snd_una_ = iss_;
  SkBuff* raw = skb.get();
  cb.truesize = kTcpSkbTruesize;
  wmem_queued_ += kTcpSkbTruesize;
  rtx_queue_.PushBack(std::move(skb));
  ++packets_out_;
  tcp_.mib.Inc(TcpMib::kActiveOpens);
  const int r = TransmitSkb(*raw, true);
  ResetXmitTimer(rto_);
  return r == -ENOBUFS ? r : 0;
}

// tcp_retransmit_skb.
int TcpSock::RetransmitSkb(SkBuff& skb) {
  TcpSkbCb& cb = skb.Cb<TcpSkbCb>();
  // Never send data beyond what the window allows, even again.
  if (cb.seq > snd_una_ + snd_wnd_ && !(cb.tcp_flags & kTcpSyn)) return -EAGAIN;
  // A segment built for a larger MSS (before PMTU fell) goes out in pieces.
  if (skb.len() > mss_cache_) SplitSkb(rtx_queue_, &skb, mss_cache_, /*own_skb_cost=*/false);
  cb.tx_ns = tcp_.now_ns();
  const int r = TransmitSkb(skb, true);
  if (r != 0) {
    tcp_.ext.Inc(TcpExtMib::kTCPRetransFail);
    return r;
  }
  tcp_.mib.Inc(TcpMib::kRetransSegs);
  if (cb.tcp_flags & kTcpSyn) tcp_.ext.Inc(TcpExtMib::kTCPSynRetrans);
  ++total_retrans_;
  bytes_retrans_ += skb.len();
  if (!(cb.sacked & TcpSkbCb::kSackedRetrans)) {
    cb.sacked |= TcpSkbCb::kSackedRetrans;
    ++retrans_out_;
  }
  cb.sacked |= TcpSkbCb::kEverRetrans;
  ++cb.retrans;
  if (retrans_stamp_ns_ == 0) retrans_stamp_ns_ = tcp_.now_ns();
  return 0;
}

void TcpSock::RetransmitHead() {
  if (SkBuff* head = rtx_queue_.front()) RetransmitSkb(*head);
}

// tcp_xmit_retransmit_queue: resend segments marked lost, within cwnd.
void TcpSock::XmitRetransmitQueue() {
  for (SkBuff* s = rtx_queue_.front(); s != nullptr; s = SkbQueue::next(s)) {
    TcpSkbCb& cb = s->Cb<TcpSkbCb>();
    if (!(cb.sacked & TcpSkbCb::kLost) ||
        (cb.sacked & (TcpSkbCb::kSackedAcked | TcpSkbCb::kSackedRetrans))) {
      continue;
    }
    if (InFlight(packets_out_, sacked_out_, lost_out_, retrans_out_) >= cc_.snd_cwnd) break;
    if (RetransmitSkb(*s) != 0) break;
    tcp_.ext.Inc(ca_state_ == CaState::kLoss ? TcpExtMib::kTCPSlowStartRetrans
                                             : TcpExtMib::kTCPFastRetrans);
    if (ca_state_ == CaState::kRecovery) ++prr_out_;
    if (s == rtx_queue_.front()) ResetXmitTimer(rto_);
  }
}

}  // namespace usnet
