// TCP segment arrival (Linux net/ipv4/tcp_input.c; RFC 9293 3.10.7
// "SEGMENT ARRIVES"). One function per step, in RFC order:
//   SYN-SENT                         RcvSynSent
//   other states: check sequence,
//     RST, SYN (RFC 5961)            ValidateIncoming
//   ACK                              Ack (window, SACK, RTT, congestion, recovery)
//   state changes on ACK             RcvStateProcess
//   data and FIN                     DataQueue, OfoQueue, Fin
//   acknowledgment                   AckSndCheck (delayed ACK / quick ACK)
#include <algorithm>

#include "net/ipv4/tcp.h"

namespace usnet {

namespace {
constexpr int kMaxQuickAcks = 16;                           // TCP_MAX_QUICKACKS
constexpr absl::Duration kAtoMin = absl::Milliseconds(40);  // TCP_ATO_MIN
constexpr absl::Duration kDelackMax = absl::Milliseconds(200);
constexpr uint8_t kAckSched = 1, kAckTimer = 2, kAckPushed = 4, kAckNow = 8;
constexpr int64_t kPawsWindowS = 24 * 24 * 3600;  // TCP_PAWS_24DAYS

// RFC 9293 3.10.7.4: is [seq, end_seq) acceptable for a window starting at
// rcv_nxt of size wnd? (Linux tcp_sequence, with rcv_wup as the left edge.)
bool InWindow(SeqNum seq, SeqNum end_seq, SeqNum left, SeqNum right) {
  return !(end_seq < left) && !(seq > right);
}

// tcp_grow_window's check #2 and __tcp_grow_window: the offered window grows
// only for segments whose memory overhead would still fit the receive
// buffer at full size; a few bytes in a large buffer (interactive traffic)
// leave rcv_ssthresh where it is.
bool WindowMayGrow(uint32_t truesize, uint32_t len, uint32_t rcv_ssthresh, const TcpConfig& c) {
  const int adv = c.tcp_adv_win_scale;
  auto win_from_space = [adv](int64_t space) {
    return adv > 0 ? space - (space >> adv) : space >> -adv;
  };
  if (win_from_space(truesize) <= len) return true;
  int64_t t = win_from_space(truesize) >> 1;
  int64_t window = win_from_space(c.tcp_rmem[2]) >> 1;
  while (rcv_ssthresh <= window) {
    if (t <= len) return true;
    t >>= 1;
    window >>= 1;
  }
  return false;
}
}  // namespace

// tcp_v4_do_rcv for a full socket.
void TcpSock::Rcv(SkbPtr skb, const TcpSegment& seg) {
  ++segs_in_;
  if (seg.len > 0) ++data_segs_in_;
  switch (state_) {
    case TcpState::kListen:
      tcp_.ListenRcv(this, std::move(skb), seg);
      return;
    case TcpState::kClose:
      core_.Drop(std::move(skb), DropReason::kTCP_CLOSE);
      return;
    case TcpState::kSynSent:
      RcvSynSent(std::move(skb), seg);
      return;
    default:
      RcvStateProcess(std::move(skb), seg);
      return;
  }
}

void TcpSock::ProcessOptionsOnSyn(const TcpSegment& seg) {
  const TcpConfig& c = tcp_.config();
  rx_opt_.mss_clamp = seg.opt.mss.value_or(536);
  if (rx_opt_.user_mss && rx_opt_.user_mss < rx_opt_.mss_clamp)
    rx_opt_.mss_clamp = rx_opt_.user_mss;
  rx_opt_.wscale_ok = seg.opt.wscale.has_value() && c.tcp_window_scaling;
  rx_opt_.snd_wscale = rx_opt_.wscale_ok ? *seg.opt.wscale : 0;
  if (!rx_opt_.wscale_ok) rx_opt_.rcv_wscale = 0;
  rx_opt_.sack_ok = seg.opt.sack_permitted && c.tcp_sack;
  rx_opt_.dsack_ok = rx_opt_.sack_ok && c.tcp_dsack;
  rx_opt_.tstamp_ok = seg.opt.has_timestamp && c.tcp_timestamps;
  if (rx_opt_.tstamp_ok) StoreTsRecent(seg);
}

// tcp_rcv_synsent_state_process.
void TcpSock::RcvSynSent(SkbPtr skb, const TcpSegment& seg) {
  if (seg.has(kTcpAck)) {
    // RFC 9293: SEG.ACK =< ISS or SEG.ACK > SND.NXT: reset (unless RST).
    if (!(seg.ack_seq > snd_una_) || seg.ack_seq > snd_nxt_) {
      if (!seg.has(kTcpRst)) tcp_.SendReset(seg, skb.get());
      core_.Drop(std::move(skb), DropReason::kTCP_INVALID);
      return;
    }
    if (seg.opt.has_timestamp && seg.opt.tsecr != 0 && rx_opt_.tstamp_ok) {
      // The echoed timestamp must be one we sent since the first SYN.
      const uint32_t ecr = seg.opt.tsecr - ts_off_;
      const uint32_t first = static_cast<uint32_t>(retrans_stamp_ns_ / 1000000);
      if (static_cast<int32_t>(ecr - first) < 0 ||
          static_cast<int32_t>(tcp_.TimestampMs() - ecr) < 0) {
        tcp_.ext.Inc(TcpExtMib::kPAWSActive);
        if (!seg.has(kTcpRst)) tcp_.SendReset(seg, skb.get());
        core_.Drop(std::move(skb), DropReason::kTCP_RFC7323_PAWS);
        return;
      }
    }
    if (seg.has(kTcpRst)) {
      ResetByPeer();  // ECONNREFUSED
      core_.Consume(std::move(skb));
      return;
    }
    if (!seg.has(kTcpSyn)) {
      core_.Drop(std::move(skb), DropReason::kTCP_FLAGS);
      return;
    }
    // Our SYN is acknowledged: ESTABLISHED.
    ProcessOptionsOnSyn(seg);
    snd_wl1_ = seg.seq;
    (void)Ack(seg);
    rcv_nxt_ = seg.seq + 1;
    rcv_wup_ = rcv_nxt_;
    copied_seq_ = rcv_nxt_;
    irs_ = seg.seq;
    snd_wnd_ = seg.window;  // never scaled in a SYN (RFC 7323 2.2)
    max_window_ = std::max(max_window_, snd_wnd_);
    if (!rx_opt_.wscale_ok) window_clamp_ = std::min<uint32_t>(window_clamp_, 65535);
    Established(seg);
    core_.Consume(std::move(skb));
    SendAck();
    WriteXmit();
    return;
  }
  if (seg.has(kTcpRst)) {  // RST without ACK: ignored
    core_.Drop(std::move(skb), DropReason::kTCP_RESET);
    return;
  }
  if (seg.has(kTcpSyn)) {
    // Crossed SYNs: simultaneous open (RFC 9293 figure 7).
    ProcessOptionsOnSyn(seg);
    SetState(TcpState::kSynRecv);
    rcv_nxt_ = seg.seq + 1;
    rcv_wup_ = rcv_nxt_;
    copied_seq_ = rcv_nxt_;
    irs_ = seg.seq;
    snd_wnd_ = seg.window;
    snd_wl1_ = seg.seq;
    max_window_ = snd_wnd_;
    SyncMss(0);
    core_.Consume(std::move(skb));
    // Resend our SYN as a SYN-ACK.
    if (SkBuff* syn = rtx_queue_.front()) {
      syn->Cb<TcpSkbCb>().tcp_flags = kTcpSyn | kTcpAck;
      TransmitSkb(*syn, true);
    }
    return;
  }
  core_.Drop(std::move(skb), DropReason::kTCP_FLAGS);
}

// The part of tcp_finish_connect / tcp_init_transfer both sides share.
void TcpSock::Established(const TcpSegment& seg) {
  (void)seg;
  SyncMss(0);
  SetState(TcpState::kEstablished);
  // (sock->state stays SS_CONNECTING: tcp_finish_connect leaves it to the
  // next connect() call, which reports 0 once; accept() marks children.)
  // tcp_init_buffer_space / tcp_sndbuf_expand: room for 2 x cwnd.
  if (!user_sndbuf_) {
    const uint32_t per_mss = mss_cache_ + kMaxHeaderRoom + 320;
    const uint32_t segs = std::max<uint32_t>(10, cc_.snd_cwnd);
    sndbuf_ = std::min<uint32_t>(std::max<uint32_t>(sndbuf_, 2 * segs * per_mss),
                                 static_cast<uint32_t>(tcp_.config().tcp_wmem[2]));
  }
  rcvq_space_ = std::min<uint32_t>(rcv_wnd_, 10 * rx_opt_.mss_clamp);
  rcvq_space_seq_ = copied_seq_;
  rcvq_space_time_ns_ = tcp_.now_ns();
  rcv_tstamp_ns_ = lrcvtime_ns_ = tcp_.now_ns();
  if (srtt_us_ == 0) {
    // tcp_init_metrics (RFC 6298 5.7): no RTT sample from the handshake
    // (the SYN or SYN-ACK was retransmitted, no timestamps): fall back to a
    // 3 s RTO rather than the more aggressive initial 1 s.
    constexpr absl::Duration kTimeoutFallback = absl::Seconds(3);  // TCP_TIMEOUT_FALLBACK
    rttvar_us_ = mdev_us_ = mdev_max_us_ =
        static_cast<uint32_t>(absl::ToInt64Microseconds(kTimeoutFallback));
    rto_ = kTimeoutFallback;
  }
  if (keepalive_) ResetKeepaliveTimer(KeepaliveTime());
  ca_->Init(cc_, tcp_.now());
  Wake();
}

void TcpSock::StoreTsRecent(const TcpSegment& seg) {
  rx_opt_.ts_recent = seg.opt.tsval;
  rx_opt_.ts_recent_stamp_s = absl::ToUnixSeconds(tcp_.now());
}

// tcp_paws_discard: a timestamp older than ts_recent (within 24 days),
// except a RST, and except a pure duplicate ACK (tcp_disordered_ack).
bool TcpSock::PawsReject(const TcpSegment& seg) const {
  if (!rx_opt_.tstamp_ok || !seg.opt.has_timestamp || seg.has(kTcpRst)) return false;
  if (static_cast<int32_t>(rx_opt_.ts_recent - seg.opt.tsval) <= 1) return false;
  if (absl::ToUnixSeconds(tcp_.now()) >= rx_opt_.ts_recent_stamp_s + kPawsWindowS) return false;
  // tcp_disordered_ack: a pure ACK, in sequence, not moving anything.
  const bool disordered = seg.len == 0 && !seg.has(kTcpSyn) && !seg.has(kTcpFin) &&
                          seg.seq == rcv_nxt_ && seg.ack_seq == snd_una_ &&
                          (static_cast<uint32_t>(seg.window) << rx_opt_.snd_wscale) == snd_wnd_;
  return !disordered;
}

// tcp_oow_rate_limited + tcp_send_challenge_ack (RFC 5961 with Linux's
// per-socket limit of one per tcp_invalid_ratelimit).
void TcpSock::SendChallengeAck() {
  const int64_t now = tcp_.now_ns();
  const int64_t limit = int64_t{tcp_.config().tcp_invalid_ratelimit} * 1000000;
  if (last_oow_ack_ns_ != 0 && now - last_oow_ack_ns_ < limit) {
    tcp_.ext.Inc(TcpExtMib::kTCPACKSkippedChallenge);
    return;
  }
  last_oow_ack_ns_ = now;
  tcp_.ext.Inc(TcpExtMib::kTCPChallengeACK);
  SendAck();
}

// tcp_validate_incoming: PAWS, the sequence check, RST and SYN handling.
// Returns false when the segment was dropped.
bool TcpSock::ValidateIncoming(SkbPtr& skb, const TcpSegment& seg) {
  auto send_dupack = [&](TcpExtMib skipped) {
    // tcp_oow_rate_limited: only segments without data (or with a SYN) can
    // be part of an ACK loop, so only those are rate limited; every
    // unacceptable data segment is answered.
    if (seg.seq == seg.end_seq || seg.has(kTcpSyn)) {
      const int64_t now = tcp_.now_ns();
      const int64_t limit = int64_t{tcp_.config().tcp_invalid_ratelimit} * 1000000;
      if (last_oow_ack_ns_ != 0 && now - last_oow_ack_ns_ < limit) {
        tcp_.ext.Inc(skipped);
        return;
      }
      last_oow_ack_ns_ = now;
    }
    if (seg.len > 0 && seg.seq < rcv_nxt_ && rx_opt_.dsack_ok) {
      tcp_.ext.Inc(TcpExtMib::kDelayedACKLost);
      DsackSet(seg.seq, SeqNum::Min(seg.end_seq, rcv_nxt_));
    }
    SendAck();
  };
  if (PawsReject(seg)) {
    if (seg.has(kTcpSyn)) goto syn_challenge;
    tcp_.ext.Inc(TcpExtMib::kPAWSEstab);
    send_dupack(TcpExtMib::kTCPACKSkippedPAWS);
    core_.Drop(std::move(skb), DropReason::kTCP_RFC7323_PAWS);
    return false;
  }
  if (!InWindow(seg.seq, seg.end_seq, rcv_wup_,
                rcv_nxt_ + ReceiveWindow(rcv_wup_, rcv_wnd_, rcv_nxt_))) {
    if (!seg.has(kTcpRst)) {
      if (seg.has(kTcpSyn)) goto syn_challenge;
      send_dupack(TcpExtMib::kTCPACKSkippedSeq);
    } else if (seg.seq == rcv_nxt_ - 1 &&
               (state_ == TcpState::kCloseWait || state_ == TcpState::kLastAck ||
                state_ == TcpState::kClosing)) {
      ResetByPeer();  // tcp_reset_check: RST for the byte before our FIN's peer
      core_.Consume(std::move(skb));
      return false;
    }
    core_.Drop(std::move(skb), seg.end_seq < rcv_wup_ ? DropReason::kTCP_OLD_SEQUENCE
                                                      : DropReason::kTCP_INVALID_SEQUENCE);
    return false;
  }
  if (seg.has(kTcpRst)) {
    // RFC 5961 3.2: reset only on an exact match; otherwise challenge.
    bool exact =
        seg.seq == rcv_nxt_ ||
        (seg.seq == rcv_nxt_ - 1 && (state_ == TcpState::kCloseWait ||
                                     state_ == TcpState::kLastAck || state_ == TcpState::kClosing));
    if (!exact && rx_opt_.sack_ok && num_sacks_ > 0) {
      SeqNum max_sack = selective_acks_[0].end;
      for (int i = 1; i < num_sacks_; ++i) max_sack = SeqNum::Max(max_sack, selective_acks_[i].end);
      exact = seg.seq == max_sack;
    }
    if (exact) {
      ResetByPeer();
      core_.Consume(std::move(skb));
      return false;
    }
    SendChallengeAck();
    core_.Drop(std::move(skb), DropReason::kTCP_RESET);
    return false;
  }
  if (seg.has(kTcpSyn)) {
    // A retransmitted SYN-ACK's ACK completing a simultaneous open passes.
    if (state_ == TcpState::kSynRecv && seg.has(kTcpAck) && seg.seq + 1 == seg.end_seq &&
        seg.seq + 1 == rcv_nxt_ && seg.ack_seq == snd_nxt_) {
      return true;
    }
    goto syn_challenge;
  }
  return true;
syn_challenge:
  tcp_.ext.Inc(TcpExtMib::kTCPSYNChallenge);
  SendChallengeAck();
  core_.Drop(std::move(skb), DropReason::kTCP_INVALID_SYN);
  return false;
}

// tcp_rcv_state_process for every state after SYN-SENT.
void TcpSock::RcvStateProcess(SkbPtr skb, const TcpSegment& seg) {
  if (!ValidateIncoming(skb, seg)) return;
  if (!seg.has(kTcpAck)) {
    core_.Drop(std::move(skb), DropReason::kTCP_FLAGS);
    return;
  }
  // RFC 7323 4.3: remember the timestamp of an in-sequence segment.
  if (rx_opt_.tstamp_ok && seg.opt.has_timestamp && !(seg.seq > rcv_wup_)) StoreTsRecent(seg);

  const AckResult ack = Ack(seg);
  if (ack == AckResult::kDrop) {
    if (state_ == TcpState::kSynRecv) {
      tcp_.SendReset(seg, skb.get());  // one RST
    } else if (state_ != TcpState::kEstablished && seg.ack_seq > snd_nxt_) {
      // RFC 9293 3.10.7.4 fifth: an ACK of something not yet sent gets an
      // ACK. Linux's tcp_rcv_state_process sends it as a (rate-limited)
      // challenge ACK in the closing states; in ESTABLISHED,
      // tcp_rcv_established drops the segment silently. (A too-old ACK got
      // its challenge ACK in Ack().)
      SendChallengeAck();
    }
    core_.Drop(std::move(skb), DropReason::kTCP_ACK_UNSENT_DATA);
    return;
  }
  switch (state_) {
    case TcpState::kSynRecv:
      if (ack != AckResult::kOk) {
        tcp_.SendReset(seg, skb.get());
        core_.Drop(std::move(skb), DropReason::kTCP_INVALID);
        return;
      }
      // The passive open completes (tcp_rcv_state_process TCP_SYN_RECV).
      snd_una_ = seg.ack_seq;
      snd_wnd_ = static_cast<uint32_t>(seg.window) << rx_opt_.snd_wscale;
      snd_wl1_ = seg.seq;
      Established(seg);
      if (parent_ != nullptr) parent_->Wake();  // the listener has something to accept
      break;
    case TcpState::kFinWait1:
      if (snd_una_ == write_seq_) {  // our FIN is acknowledged
        SetState(TcpState::kFinWait2);
        shutdown_ |= kSendShutdown;
        if (!orphan_) {
          Wake();
          break;
        }
        if (linger2_s_ < 0) {
          tcp_.ext.Inc(TcpExtMib::kTCPAbortOnData);
          Done();
          core_.Consume(std::move(skb));
          return;
        }
        if (seg.end_seq != seg.seq && (seg.end_seq - (seg.has(kTcpFin) ? 1 : 0)) > rcv_nxt_) {
          // Data after close(): nobody will read it.
          tcp_.ext.Inc(TcpExtMib::kTCPAbortOnData);
          SendActiveReset();
          Done();
          core_.Consume(std::move(skb));
          return;
        }
        const absl::Duration tmo =
            absl::Seconds(linger2_s_ > 0 ? linger2_s_ : tcp_.config().tcp_fin_timeout);
        if (tmo > absl::Seconds(60)) {
          ResetKeepaliveTimer(tmo - absl::Seconds(60));
        } else if (seg.has(kTcpFin)) {
          ResetKeepaliveTimer(tmo);
        } else {
          TimeWait(TcpState::kFinWait2, tmo);  // the socket is gone; a mini sock waits
          core_.Consume(std::move(skb));
          return;
        }
      }
      break;
    case TcpState::kClosing:
      if (snd_una_ == write_seq_) {
        TimeWait(TcpState::kTimeWait, absl::ZeroDuration());
        core_.Consume(std::move(skb));
        return;
      }
      break;
    case TcpState::kLastAck:
      if (snd_una_ == write_seq_) {
        Done();
        core_.Consume(std::move(skb));
        return;
      }
      break;
    default:
      break;
  }
  // Data and FIN.
  switch (state_) {
    case TcpState::kCloseWait:
    case TcpState::kClosing:
    case TcpState::kLastAck:
      if (!(seg.seq < rcv_nxt_)) {
        // Nothing new may arrive after the peer's FIN.
        core_.Consume(std::move(skb));
        WriteXmit();
        AckSndCheck();
        return;
      }
      [[fallthrough]];
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
      // RFC 1122: data after our receive side shut down gets a reset.
      if ((shutdown_ & kRcvShutdown) && seg.end_seq != seg.seq &&
          (seg.end_seq - (seg.has(kTcpFin) ? 1 : 0)) > rcv_nxt_) {
        tcp_.ext.Inc(TcpExtMib::kTCPAbortOnData);
        SendActiveReset();
        ReportError(ECONNRESET);
        Done();
        core_.Consume(std::move(skb));
        return;
      }
      [[fallthrough]];
    case TcpState::kEstablished:
      DataQueue(std::move(skb), seg);
      break;
    default:
      core_.Consume(std::move(skb));
      break;
  }
  if (state_ != TcpState::kClose) {
    WriteXmit();
    AckSndCheck();
  }
}

// ---------------------------------------------------------------------------
// ACK processing (tcp_ack)

void TcpSock::AckUpdateWindow(const TcpSegment& seg) {
  const uint32_t nwin = static_cast<uint32_t>(seg.window)
                        << (seg.has(kTcpSyn) ? 0 : rx_opt_.snd_wscale);
  // tcp_may_update_window (RFC 9293 3.10.7.4 fifth, SND.WL1/SND.WL2).
  if (seg.ack_seq > snd_una_ || seg.seq > snd_wl1_ ||
      (seg.seq == snd_wl1_ && (nwin > snd_wnd_ || nwin == 0))) {
    if (snd_wnd_ != nwin) {
      snd_wnd_ = nwin;
      if (nwin > max_window_) max_window_ = nwin;
    }
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack_seq;
  }
}

// tcp_rtt_estimator (RFC 6298 with Linux's mdev_max/rttvar refinement).
void TcpSock::RttEstimator(absl::Duration rtt) {
  // A sample of 0 us (ACK in the same microsecond) stays 0 here, as in
  // Linux: only the stored srtt is kept >= 1, so RTO = rttvar exactly.
  int64_t m = std::max<int64_t>(0, absl::ToInt64Microseconds(rtt));
  min_rtt_us_ = std::min<uint32_t>(min_rtt_us_, static_cast<uint32_t>(std::max<int64_t>(1, m)));
  const uint32_t rto_min_us = static_cast<uint32_t>(absl::ToInt64Microseconds(RtoMin()));
  int64_t srtt = srtt_us_;
  if (srtt != 0) {
    m -= srtt >> 3;
    srtt += m;  // srtt = 7/8 srtt + 1/8 new
    if (m < 0) {
      m = -m;
      m -= mdev_us_ >> 2;
      if (m > 0) m >>= 3;  // a falling RTT moves mdev with a smaller gain
    } else {
      m -= mdev_us_ >> 2;
    }
    mdev_us_ =
        static_cast<uint32_t>(static_cast<int64_t>(mdev_us_) + m);  // mdev = 3/4 mdev + 1/4 new
    if (mdev_us_ > mdev_max_us_) {
      mdev_max_us_ = mdev_us_;
      if (mdev_max_us_ > rttvar_us_) rttvar_us_ = mdev_max_us_;
    }
    if (snd_una_ > rtt_seq_) {  // once per RTT: decay rttvar towards mdev_max
      if (mdev_max_us_ < rttvar_us_) rttvar_us_ -= (rttvar_us_ - mdev_max_us_) >> 2;
      rtt_seq_ = snd_nxt_;
      mdev_max_us_ = rto_min_us;
    }
  } else {
    srtt = m << 3;
    mdev_us_ = static_cast<uint32_t>(m << 1);  // RTO = 3 x RTT at first
    rttvar_us_ = std::max(mdev_us_, rto_min_us);
    mdev_max_us_ = rttvar_us_;
    rtt_seq_ = snd_nxt_;
  }
  srtt_us_ = static_cast<uint32_t>(std::max<int64_t>(1, srtt));
}

void TcpSock::SetRto() {
  // tcp_set_rto: srtt + rttvar (rttvar >= rto_min), bounded by RTO max.
  const absl::Duration rto = absl::Microseconds((srtt_us_ >> 3) + rttvar_us_);
  rto_ = std::min(rto, absl::Milliseconds(tcp_.config().tcp_rto_max_ms));
}

// SACK scoreboard (tcp_sacktag_write_queue, simplified to whole skbs).
void TcpSock::ProcessSack(const TcpSegment& seg) {
  if (!rx_opt_.sack_ok || seg.opt.num_sack == 0) return;
  for (int i = 0; i < seg.opt.num_sack; ++i) {
    const SackBlock b = seg.opt.sack[i];
    // tcp_is_sackblock_valid: inside what we sent, not too old.
    if (!(b.end > b.start) || b.end > snd_nxt_) continue;
    if (b.start < snd_una_) {
      // A D-SACK (RFC 2883): a duplicate arrived; used for undo by Linux.
      if (i == 0)
        tcp_.ext.Inc(b.end > snd_una_ ? TcpExtMib::kTCPDSACKOfoRecv : TcpExtMib::kTCPDSACKRecv);
      continue;
    }
    for (SkBuff* s = rtx_queue_.front(); s != nullptr; s = SkbQueue::next(s)) {
      TcpSkbCb& cb = s->Cb<TcpSkbCb>();
      if (cb.seq >= b.end) break;
      if (cb.seq < b.start || cb.end_seq > b.end) continue;
      if (cb.sacked & TcpSkbCb::kSackedAcked) continue;
      cb.sacked |= TcpSkbCb::kSackedAcked;
      ++sacked_out_;
      if (cb.sacked & TcpSkbCb::kLost) {
        cb.sacked &= static_cast<uint8_t>(~TcpSkbCb::kLost);
        --lost_out_;
      }
      if (cb.sacked & TcpSkbCb::kSackedRetrans) {
        cb.sacked &= static_cast<uint8_t>(~TcpSkbCb::kSackedRetrans);
        --retrans_out_;
      }
      ++delivered_;
    }
  }
}

// Removes what the ACK covers from the retransmit queue; takes an RTT
// sample from the newest segment never retransmitted (Karn's rule), or
// from the timestamp echo. Returns segments newly acknowledged.
uint32_t TcpSock::CleanRtxQueue(SeqNum prior_snd_una, bool* rtt_sampled, const TcpSegment& seg) {
  (void)prior_snd_una;
  uint32_t acked = 0;
  int64_t seq_rtt_ns = -1;
  const int64_t now = tcp_.now_ns();
  bool retrans_acked = false;
  while (SkBuff* s = rtx_queue_.front()) {
    TcpSkbCb& cb = s->Cb<TcpSkbCb>();
    if (cb.end_seq > seg.ack_seq) break;
    if (cb.sacked & TcpSkbCb::kSackedAcked) {
      --sacked_out_;
    } else {
      ++delivered_;
    }
    if (cb.sacked & TcpSkbCb::kLost) --lost_out_;
    if (cb.sacked & TcpSkbCb::kSackedRetrans) --retrans_out_;
    if (cb.sacked & TcpSkbCb::kEverRetrans) {
      retrans_acked = true;
    } else {
      seq_rtt_ns = now - cb.first_tx_ns;
    }
    --packets_out_;
    ++acked;
    SkbPtr gone = rtx_queue_.Unlink(s);
    wmem_queued_ -= cb.truesize;
    core_.Consume(std::move(gone));
  }
  // Prefer the timestamp echo (RFC 7323 4.1): valid even for retransmissions.
  absl::Duration rtt = absl::InfiniteDuration();
  if (acked > 0 && rx_opt_.tstamp_ok && seg.opt.has_timestamp && seg.opt.tsecr != 0) {
    const int32_t d = static_cast<int32_t>(tcp_.TimestampMs() + ts_off_ - seg.opt.tsecr);
    if (d >= 0) rtt = absl::Milliseconds(std::max(1, d));
  }
  if (seq_rtt_ns >= 0 && !retrans_acked) rtt = absl::Nanoseconds(seq_rtt_ns);  // finer than ms
  if (acked > 0 && rtt != absl::InfiniteDuration()) {
    RttEstimator(rtt);
    SetRto();
    *rtt_sampled = true;
    ca_->PktsAcked(cc_, acked, rtt, tcp_.now());
  } else if (acked > 0) {
    ca_->PktsAcked(cc_, acked, std::nullopt, tcp_.now());
  }
  return acked;
}

// RFC 6675 IsLost, the rule Linux's RACK reduces to once `reordering`
// segments above are SACKed: a segment with that many SACKed segments
// sent after it is lost.
void TcpSock::MarkLostSack() {
  uint32_t sacked_above = 0;
  for (SkBuff* s = rtx_queue_.back(); s != nullptr; s = SkbQueue::prev(s)) {
    TcpSkbCb& cb = s->Cb<TcpSkbCb>();
    if (cb.sacked & TcpSkbCb::kSackedAcked) {
      ++sacked_above;
      continue;
    }
    if (sacked_above >= reordering_ &&
        !(cb.sacked & (TcpSkbCb::kLost | TcpSkbCb::kSackedRetrans))) {
      cb.sacked |= TcpSkbCb::kLost;
      ++lost_out_;
    }
  }
}

void TcpSock::EnterRecovery() {
  tcp_.ext.Inc(rx_opt_.sack_ok ? TcpExtMib::kTCPSackRecovery : TcpExtMib::kTCPRenoRecovery);
  prior_ssthresh_ = cc_.snd_ssthresh;
  prior_cwnd_ = cc_.snd_cwnd;
  cc_.snd_ssthresh = ca_->SsThresh(cc_);
  cc_.prior_cwnd = cc_.snd_cwnd;
  prr_delivered_ = 0;
  prr_out_ = 0;
  high_seq_ = snd_nxt_;
  undo_marker_ = snd_una_;
  ca_state_ = CaState::kRecovery;
  ca_->SetState(cc_, CaState::kRecovery);
}

void TcpSock::EndRecovery() {
  // tcp_end_cwnd_reduction: finish at ssthresh.
  cc_.snd_cwnd = std::max<uint32_t>(cc_.snd_ssthresh, 2);
  ca_state_ = CaState::kOpen;
  ca_->SetState(cc_, CaState::kOpen);
}

// tcp_fastretrans_alert, for NewReno (RFC 6582) and SACK (RFC 6675)
// recovery, with PRR (RFC 6937) shaping the cwnd while recovering.
void TcpSock::FastRetransAlert(const TcpSegment& seg, bool is_dupack, uint32_t acked,
                               uint32_t prior_packets, uint32_t prior_sacked) {
  const bool una_advanced = acked > 0;
  if (!rx_opt_.sack_ok) {
    // NewReno counts duplicate ACKs as "SACKed" segments (tcp_add_reno_sack).
    if (is_dupack && packets_out_ > 0 && sacked_out_ + 1 < packets_out_) ++sacked_out_;
    if (una_advanced) sacked_out_ = acked >= sacked_out_ ? 0 : sacked_out_ - acked;
  }
  if (ca_state_ == CaState::kRecovery && !(snd_una_ < high_seq_)) {
    EndRecovery();
    if (!rx_opt_.sack_ok) sacked_out_ = 0;
  } else if (ca_state_ == CaState::kLoss && !(snd_una_ < high_seq_)) {
    ca_state_ = CaState::kOpen;
    ca_->SetState(cc_, CaState::kOpen);
  }
  // Loss marking.
  if (rx_opt_.sack_ok) {
    if (sacked_out_ >= reordering_ || ca_state_ == CaState::kRecovery) MarkLostSack();
  } else if (SkBuff* head = rtx_queue_.front()) {
    TcpSkbCb& cb = head->Cb<TcpSkbCb>();
    // tcp_newreno_mark_lost: the head is lost after `reordering` dupacks,
    // and again on each partial ACK in recovery.
    const bool mark = (ca_state_ < CaState::kRecovery && sacked_out_ >= reordering_) ||
                      (ca_state_ == CaState::kRecovery && una_advanced);
    if (mark && !(cb.sacked & (TcpSkbCb::kLost | TcpSkbCb::kSackedRetrans))) {
      cb.sacked |= TcpSkbCb::kLost;
      ++lost_out_;
    }
  }
  if (ca_state_ == CaState::kOpen || ca_state_ == CaState::kDisorder) {
    if (lost_out_ > 0) {
      EnterRecovery();
    } else {
      const CaState s = (sacked_out_ > 0) ? CaState::kDisorder : CaState::kOpen;
      if (s != ca_state_) {
        ca_state_ = s;
        ca_->SetState(cc_, s);
      }
    }
  }
  if (ca_state_ == CaState::kRecovery) {
    // tcp_cwnd_reduction. PRR counts what this ACK delivered: segments
    // newly acknowledged or newly SACKed (NewReno's duplicate ACKs count as
    // SACKed above), so an ACK whose SACK blocks cover five segments lets
    // five out, not one. An ACK that delivered nothing changes nothing.
    const int64_t delivered = int64_t{prior_packets} - packets_out_ + sacked_out_ - prior_sacked;
    if (delivered <= 0) return;
    const uint32_t newly = static_cast<uint32_t>(delivered);
    prr_delivered_ += newly;
    const int64_t in_flight = InFlight(packets_out_, sacked_out_, lost_out_, retrans_out_);
    const int64_t delta = static_cast<int64_t>(cc_.snd_ssthresh) - in_flight;
    int64_t sndcnt;
    if (delta < 0) {
      const uint64_t dividend = uint64_t{cc_.snd_ssthresh} * prr_delivered_ + prior_cwnd_ - 1;
      sndcnt = static_cast<int64_t>(dividend / std::max<uint32_t>(prior_cwnd_, 1)) - prr_out_;
    } else {
      sndcnt = std::max<int64_t>(static_cast<int64_t>(prr_delivered_) - prr_out_, newly);
      if (una_advanced) ++sndcnt;
      sndcnt = std::min(delta, sndcnt);
    }
    sndcnt = std::max<int64_t>(sndcnt, prr_out_ ? 0 : 1);  // force the fast retransmit
    cc_.snd_cwnd = static_cast<uint32_t>(std::max<int64_t>(1, in_flight + sndcnt));
  }
  (void)seg;
}

TcpSock::AckResult TcpSock::Ack(const TcpSegment& seg) {
  const SeqNum prior_snd_una = snd_una_;
  const SeqNum ack = seg.ack_seq;
  if (ack < prior_snd_una) {
    // RFC 5961 5.2: far behind is suspicious; merely old is ignored. Linux
    // bounds "far" by what was ever acknowledged too, so an ACK below
    // everything acknowledged so far is never taken as merely old.
    const uint32_t max_window =
        static_cast<uint32_t>(std::min<uint64_t>(max_window_, bytes_acked_));
    if (ack < prior_snd_una - max_window) {
      SendChallengeAck();
      return AckResult::kDrop;
    }
    ProcessSack(seg);
    return AckResult::kOld;
  }
  if (ack > snd_nxt_) return AckResult::kDrop;  // acknowledges something not yet sent
  rcv_tstamp_ns_ = tcp_.now_ns();
  probes_out_ = 0;  // any ACK answers a probe
  const uint32_t prior_wnd = snd_wnd_;
  AckUpdateWindow(seg);
  const bool win_update = snd_wnd_ != prior_wnd;
  if (ack > prior_snd_una) {
    retransmits_ = 0;
    backoff_ = 0;
    // tcp_snd_una_update: every sequence number acknowledged counts, SYN
    // and FIN included, partial segments too (tcpi_bytes_acked, and the
    // RFC 5961 bound above).
    bytes_acked_ += static_cast<uint32_t>(ack - prior_snd_una);
    snd_una_ = ack;
  }
  const uint32_t prior_sacked = sacked_out_;
  ProcessSack(seg);
  bool rtt_sampled = false;
  const uint32_t prior_packets = packets_out_;
  const uint32_t acked = CleanRtxQueue(prior_snd_una, &rtt_sampled, seg);
  if (acked > 0) tcp_.ext.Inc(seg.len == 0 ? TcpExtMib::kTCPPureAcks : TcpExtMib::kTCPHPAcks);
  if (prior_packets == 0) {
    // Nothing was in flight: perhaps a window probe was answered
    // (tcp_ack_probe). A window that now takes the head segment stops the
    // probes; otherwise the next probe is due a backed-off interval from
    // this answer.
    if (!write_queue_.empty() && xmit_timer_kind_ == XmitTimer::kProbe0) {
      if (!(write_queue_.front()->Cb<TcpSkbCb>().end_seq > snd_una_ + snd_wnd_)) {
        backoff_ = 0;
        ClearXmitTimer();
      } else {
        rtx_timer_expires_ =
            tcp_.now() + std::min(std::max(rto_, RtoMin()) * (int64_t{1} << backoff_),
                                  absl::Milliseconds(tcp_.config().tcp_rto_max_ms));
        tcp_.timers().Arm(rtx_timer_, rtx_timer_expires_);
      }
    }
    return AckResult::kOk;
  }
  const bool is_dupack =
      acked == 0 && seg.len == 0 && !win_update && !seg.has(kTcpFin) && ack == prior_snd_una;
  FastRetransAlert(seg, is_dupack, acked, prior_packets, prior_sacked);
  if (acked > 0 && (ca_state_ == CaState::kOpen || ca_state_ == CaState::kDisorder ||
                    ca_state_ == CaState::kLoss)) {
    // tcp_cong_control: grow the window (only when it was the limit).
    // cc_.is_cwnd_limited and max_packets_out come from the sender
    // (CwndValidate): an ACK of a window the application, not cwnd, limited
    // grows nothing (tcp_is_cwnd_limited), e.g. the ACK of the SYN.
    cc_.packets_in_flight = InFlight(packets_out_, sacked_out_, lost_out_, retrans_out_);
    ca_->CongAvoid(cc_, acked, tcp_.now());
  }
  // tcp_rearm_rto.
  if (packets_out_ == 0) {
    ClearXmitTimer();
    retrans_stamp_ns_ = 0;
  } else if (acked > 0) {
    ResetXmitTimer(rto_);
  }
  if (lost_out_ > 0) XmitRetransmitQueue();
  if (acked > 0) NewSpace();
  return AckResult::kOk;
}

// tcp_new_space: room in the send buffer again.
void TcpSock::NewSpace() {
  if (!user_sndbuf_ && cc_.snd_cwnd > 0) {
    const uint32_t per_mss = mss_cache_ + kMaxHeaderRoom + 320;
    const uint32_t want = 2 * std::max<uint32_t>(10, cc_.snd_cwnd) * per_mss;
    if (want > sndbuf_)
      sndbuf_ = std::min<uint32_t>(want, static_cast<uint32_t>(tcp_.config().tcp_wmem[2]));
  }
  if (!wq_.empty()) Wake();
}

// ---------------------------------------------------------------------------
// Data (tcp_data_queue)

void TcpSock::EventData(uint32_t len) {
  // tcp_event_data_recv: the delayed-ACK engine's interarrival estimate.
  const int64_t now = tcp_.now_ns();
  if (len >= 536 && len > rcv_mss_)
    rcv_mss_ = std::min<uint32_t>(len, mss_cache_ ? std::max(mss_cache_, len) : len);
  if (ato_ == absl::ZeroDuration()) {
    const uint32_t q = std::max<uint32_t>(2, rcv_wnd_ / (2 * std::max<uint32_t>(rcv_mss_, 1)));
    ack_quick_ =
        static_cast<uint8_t>(std::min<uint32_t>(std::max<uint32_t>(ack_quick_, q), kMaxQuickAcks));
    ato_ = kAtoMin;
  } else {
    const absl::Duration m = absl::Nanoseconds(now - lrcvtime_ns_);
    if (m <= kAtoMin / 2) {
      ato_ = ato_ / 2 + kAtoMin / 2;
    } else if (m < ato_) {
      ato_ = std::min(ato_ / 2 + m, rto_);
    } else if (m > rto_) {
      const uint32_t q = std::max<uint32_t>(2, rcv_wnd_ / (2 * std::max<uint32_t>(rcv_mss_, 1)));
      ack_quick_ = static_cast<uint8_t>(
          std::min<uint32_t>(std::max<uint32_t>(ack_quick_, q), kMaxQuickAcks));
    }
  }
  lrcvtime_ns_ = now;
  ack_pending_ |= kAckSched;
  ++rcv_segs_since_ack_;
}

void TcpSock::DsackSet(SeqNum seq, SeqNum end_seq) {
  if (!rx_opt_.dsack_ok) return;
  tcp_.ext.Inc(seq < rcv_nxt_ ? TcpExtMib::kTCPDSACKOldSent : TcpExtMib::kTCPDSACKOfoSent);
  duplicate_sack_ = SackBlock{seq, end_seq};
  dsack_ = true;
}

// tcp_sack_new_ofo_skb: the newest out-of-order block goes first.
void TcpSock::SackNewOfo(SeqNum seq, SeqNum end_seq) {
  if (!rx_opt_.sack_ok) return;
  // Merge with any block it touches.
  for (int i = 0; i < num_sacks_;) {
    SackBlock& b = selective_acks_[i];
    if (!(end_seq < b.start) && !(b.end < seq)) {
      seq = SeqNum::Min(seq, b.start);
      end_seq = SeqNum::Max(end_seq, b.end);
      for (int j = i; j + 1 < num_sacks_; ++j) selective_acks_[j] = selective_acks_[j + 1];
      --num_sacks_;
    } else {
      ++i;
    }
  }
  const int max = 4;
  if (num_sacks_ == max) --num_sacks_;  // forget the oldest
  for (int j = num_sacks_; j > 0; --j) selective_acks_[j] = selective_acks_[j - 1];
  selective_acks_[0] = SackBlock{seq, end_seq};
  ++num_sacks_;
}

// tcp_sack_remove: blocks at or below rcv_nxt are no longer news.
void TcpSock::SackRemove() {
  int n = 0;
  for (int i = 0; i < num_sacks_; ++i) {
    if (selective_acks_[i].end > rcv_nxt_) selective_acks_[n++] = selective_acks_[i];
  }
  num_sacks_ = static_cast<uint8_t>(n);
}

void TcpSock::DataQueue(SkbPtr skb, const TcpSegment& seg) {
  if (seg.seq == seg.end_seq) {  // a pure ACK
    core_.Consume(std::move(skb));
    return;
  }
  skb->ReleaseHeader();  // the headers are parsed; only the payload stays
  TcpSkbCb& cb = skb->Cb<TcpSkbCb>();
  const uint32_t rwnd = ReceiveWindow(rcv_wup_, rcv_wnd_, rcv_nxt_);
  if (cb.seq == rcv_nxt_) {
    if (rwnd == 0 && seg.len > 0) {
      tcp_.ext.Inc(TcpExtMib::kTCPZeroWindowDrop);
      ack_quick_ = kMaxQuickAcks;
      ack_pending_ |= kAckNow;
      core_.Drop(std::move(skb), DropReason::kTCP_ZEROWINDOW);
      return;
    }
    QueueRcv(std::move(skb));
    return;
  }
  if (!(cb.end_seq > rcv_nxt_)) {
    // All of it we already have: a retransmission. ACK at once, with D-SACK.
    tcp_.ext.Inc(TcpExtMib::kDelayedACKLost);
    DsackSet(cb.seq, cb.end_seq);
    ack_quick_ = kMaxQuickAcks;
    ack_pending_ |= kAckSched | kAckNow;
    core_.Drop(std::move(skb), DropReason::kTCP_OLD_DATA);
    return;
  }
  if (!(cb.seq < rcv_nxt_ + rwnd)) {
    // Beyond the window (a zero-window probe with data, say).
    ack_quick_ = kMaxQuickAcks;
    ack_pending_ |= kAckSched | kAckNow;
    core_.Drop(std::move(skb), DropReason::kTCP_OVERWINDOW);
    return;
  }
  if (cb.seq < rcv_nxt_) {
    // Partly old: keep the new tail, D-SACK the old head.
    DsackSet(cb.seq, rcv_nxt_);
    const uint32_t old = rcv_nxt_ - cb.seq;
    (void)skb->Pull(std::min<uint32_t>(old, skb->len()));
    cb.seq = rcv_nxt_;
    if (rwnd == 0) {
      tcp_.ext.Inc(TcpExtMib::kTCPZeroWindowDrop);
      ack_pending_ |= kAckNow;
      core_.Drop(std::move(skb), DropReason::kTCP_ZEROWINDOW);
      return;
    }
    QueueRcv(std::move(skb));
    return;
  }
  OfoQueue(std::move(skb), seg);
}

void TcpSock::QueueRcv(SkbPtr skb) {
  TcpSkbCb& cb = skb->Cb<TcpSkbCb>();
  if (rmem_alloc_ + skb->truesize() > rcvbuf_ && !receive_queue_.empty()) {
    tcp_.ext.Inc(TcpExtMib::kTCPRcvQDrop);
    ack_pending_ |= kAckSched | kAckNow;
    core_.Drop(std::move(skb), DropReason::kTCP_RCVQ_DROP);
    return;
  }
  rcv_nxt_ = cb.end_seq;
  const bool fin = (cb.tcp_flags & kTcpFin) != 0;
  const uint32_t len = skb->len();
  bytes_received_ += len;
  if (len > 0) {
    EventData(len);
    if (WindowMayGrow(skb->truesize(), len, rcv_ssthresh_, tcp_.config())) GrowWindow(len);
    ChargeRmem(*skb);
    receive_queue_.PushBack(std::move(skb));
  } else {
    core_.Consume(std::move(skb));
  }
  if (fin) Fin();
  if (!ofo_queue_.empty()) {
    OfoDrain();
    if (ofo_queue_.empty()) ack_pending_ |= kAckNow;  // a hole was filled
  }
  if (num_sacks_ > 0) SackRemove();
  if (!wq_.empty()) Wake();
}

// tcp_data_queue_ofo: keep it, sorted by sequence; duplicates dropped
// (D-SACK), overlaps trimmed; SACK the new block; ACK at once.
void TcpSock::OfoQueue(SkbPtr skb, const TcpSegment& seg) {
  (void)seg;
  tcp_.ext.Inc(TcpExtMib::kTCPOFOQueue);
  ack_pending_ |= kAckSched | kAckNow;
  if (rmem_alloc_ + skb->truesize() > rcvbuf_) {
    tcp_.ext.Inc(TcpExtMib::kTCPOFODrop);
    core_.Drop(std::move(skb), DropReason::kTCP_OFO_DROP);
    return;
  }
  TcpSkbCb& cb = skb->Cb<TcpSkbCb>();
  SeqNum seq = cb.seq, end = cb.end_seq;
  // Find the first queued segment that ends after our start.
  SkBuff* pos = ofo_queue_.front();
  while (pos != nullptr && pos->Cb<TcpSkbCb>().end_seq <= seq) pos = SkbQueue::next(pos);
  if (pos != nullptr) {
    TcpSkbCb& p = pos->Cb<TcpSkbCb>();
    if (p.seq <= seq && p.end_seq >= end) {
      // Entirely covered by what we hold.
      tcp_.ext.Inc(TcpExtMib::kTCPOFOMerge);
      DsackSet(seq, end);
      core_.Drop(std::move(skb), DropReason::kTCP_OFOMERGE);
      return;
    }
    if (p.seq < seq) {
      // Overlaps the one before: keep ours from where it ends.
      const uint32_t cut = p.end_seq - seq;
      DsackSet(seq, p.end_seq);
      (void)skb->Pull(std::min<uint32_t>(cut, skb->len()));
      seq = cb.seq = p.end_seq;
      pos = SkbQueue::next(pos);
    }
  }
  // Remove queued segments our new one covers entirely; trim ours if it
  // runs into the next one.
  while (pos != nullptr) {
    TcpSkbCb& p = pos->Cb<TcpSkbCb>();
    if (!(p.seq < end)) break;
    if (p.end_seq <= end) {
      SkBuff* next = SkbQueue::next(pos);
      SkbPtr gone = ofo_queue_.Unlink(pos);
      UnchargeRmem(*gone);
      tcp_.ext.Inc(TcpExtMib::kTCPOFOMerge);
      core_.Drop(std::move(gone), DropReason::kTCP_OFOMERGE);
      pos = next;
      continue;
    }
    // p starts inside ours and ends after: cut our tail.
    const uint32_t keep = p.seq - seq;
    (void)skb->Trim(std::min<uint32_t>(keep, skb->len()));
    cb.end_seq = end = p.seq;
    cb.tcp_flags &= static_cast<uint8_t>(~kTcpFin);
    break;
  }
  SackNewOfo(seq, end);
  ChargeRmem(*skb);
  ofo_queue_.InsertBefore(pos, std::move(skb));
}

// tcp_ofo_queue: move what is now in order to the receive queue.
void TcpSock::OfoDrain() {
  while (SkBuff* s = ofo_queue_.front()) {
    TcpSkbCb& cb = s->Cb<TcpSkbCb>();
    if (cb.seq > rcv_nxt_) break;
    SkbPtr skb = ofo_queue_.Unlink(s);
    UnchargeRmem(*skb);
    if (!(cb.end_seq > rcv_nxt_)) {
      DsackSet(cb.seq, cb.end_seq);
      core_.Drop(std::move(skb), DropReason::kTCP_OFOMERGE);
      continue;
    }
    if (cb.seq < rcv_nxt_) {
      (void)skb->Pull(std::min<uint32_t>(rcv_nxt_ - cb.seq, skb->len()));
      cb.seq = rcv_nxt_;
    }
    rcv_nxt_ = cb.end_seq;
    const bool fin = (cb.tcp_flags & kTcpFin) != 0;
    bytes_received_ += skb->len();
    if (skb->len() > 0) {
      ChargeRmem(*skb);
      receive_queue_.PushBack(std::move(skb));
    } else {
      core_.Consume(std::move(skb));
    }
    if (fin) {
      Fin();
      break;
    }
  }
}

// tcp_fin: the peer has finished sending.
void TcpSock::Fin() {
  // tcp_fin only schedules the ACK: ESTABLISHED -> CLOSE_WAIT enters
  // ping-pong mode, so the ACK is delayed (by the ATO, 40 ms once data has
  // come; at once before that), hoping to ride on our own FIN.
  ack_pending_ |= kAckSched;
  shutdown_ |= kRcvShutdown;
  done_ = true;
  switch (state_) {
    case TcpState::kSynRecv:
    case TcpState::kEstablished:
      SetState(TcpState::kCloseWait);
      ack_pingpong_ = true;
      break;
    case TcpState::kFinWait1:
      // Simultaneous close (RFC 9293 figure 13).
      SendAck();
      SetState(TcpState::kClosing);
      break;
    case TcpState::kFinWait2:
      SendAck();
      TimeWait(TcpState::kTimeWait, absl::ZeroDuration());
      return;
    default:
      break;
  }
  // Out-of-order data beyond the FIN is meaningless.
  while (SkbPtr s = ofo_queue_.PopFront()) {
    UnchargeRmem(*s);
    core_.Drop(std::move(s), DropReason::kTCP_OFOMERGE);
  }
  num_sacks_ = 0;
  Wake();
}

// tcp_reset: the peer aborted.
void TcpSock::ResetByPeer() {
  int err;
  switch (state_) {
    case TcpState::kSynSent:
      err = ECONNREFUSED;
      break;
    case TcpState::kCloseWait:
      err = EPIPE;
      break;
    case TcpState::kClose:
      return;
    default:
      err = ECONNRESET;
      break;
  }
  err_ = err;
  Done();
}

// __tcp_ack_snd_check.
void TcpSock::AckSndCheck() {
  if (!(ack_pending_ & kAckSched)) return;
  const bool more_than_one_full =
      (rcv_nxt_ - rcv_wup_) > static_cast<int32_t>(rcv_mss_) && SelectWindowPeek() >= rcv_wnd_;
  const bool quick = ack_quick_ > 0 && !ack_pingpong_;
  if (more_than_one_full || quick || (ack_pending_ & kAckNow) || !ofo_queue_.empty()) {
    SendAck();
    return;
  }
  SendDelayedAck();
}

}  // namespace usnet
