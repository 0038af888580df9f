// TCP timers and state changes (Linux net/ipv4/tcp_timer.c, tcp_set_state,
// tcp_done, tcp_time_wait): the retransmission timer (RTO with doubling
// backoff, SYN retries with linear timeouts first), the persist timer
// (zero-window probes), delayed ACKs, keepalive, and the hand-off of a
// closing connection to a TIME_WAIT mini socket.
#include <algorithm>

#include "net/ipv4/tcp.h"

namespace usnet {

namespace {
constexpr absl::Duration kResourceProbe = absl::Milliseconds(500);  // TCP_RESOURCE_PROBE_INTERVAL
constexpr absl::Duration kTimewaitLen = absl::Seconds(60);
constexpr absl::Duration kAtoMin = absl::Milliseconds(40);
constexpr uint8_t kAckSched = 1;
}  // namespace

absl::Duration TcpSock::RtoMin() const { return absl::Microseconds(tcp_.config().tcp_rto_min_us); }
absl::Duration TcpSock::KeepaliveTime() const {
  return absl::Seconds(keepidle_s_ ? keepidle_s_ : tcp_.config().tcp_keepalive_time);
}
absl::Duration TcpSock::KeepaliveIntvl() const {
  return absl::Seconds(keepintvl_s_ ? keepintvl_s_ : tcp_.config().tcp_keepalive_intvl);
}
int TcpSock::KeepaliveProbes() const { return keepcnt_ ? keepcnt_ : tcp_.config().tcp_keepalive_probes; }

void TcpSock::ResetXmitTimer(absl::Duration when) {
  xmit_timer_kind_ = XmitTimer::kRetrans;
  rtx_timer_expires_ = tcp_.now() + when;
  tcp_.timers().Arm(rtx_timer_, rtx_timer_expires_);
}

void TcpSock::ClearXmitTimer() {
  xmit_timer_kind_ = XmitTimer::kNone;
  tcp_.timers().Cancel(rtx_timer_);
}

void TcpSock::ResetKeepaliveTimer(absl::Duration when) {
  tcp_.timers().Arm(keepalive_timer_, tcp_.now() + when);
}

// tcp_set_state, with its counters.
void TcpSock::SetState(TcpState s) {
  const TcpState old = state_;
  Mib<TcpMib>& mib = tcp_.mib;
  switch (s) {
    case TcpState::kEstablished:
      if (old != TcpState::kEstablished) mib.Inc(TcpMib::kCurrEstab);
      break;
    case TcpState::kCloseWait:
      if (old == TcpState::kSynRecv) mib.Inc(TcpMib::kCurrEstab);
      break;
    case TcpState::kClose:
      if (old == TcpState::kCloseWait || old == TcpState::kEstablished) mib.Inc(TcpMib::kEstabResets);
      tcp_.UnhashEstablished(this);
      if (!bind_port_locked_) tcp_.PutPort(this);
      [[fallthrough]];
    default:
      if (old == TcpState::kEstablished || old == TcpState::kCloseWait) mib.Dec(TcpMib::kCurrEstab);
      break;
  }
  state_ = s;
}

// tcp_done: the connection is over. An orphan is destroyed (after this
// round, so callers still on the stack may finish with it).
void TcpSock::Done() {
  if (state_ == TcpState::kSynSent || state_ == TcpState::kSynRecv) tcp_.mib.Inc(TcpMib::kAttemptFails);
  SetState(TcpState::kClose);
  ClearXmitTimer();
  tcp_.timers().Cancel(delack_timer_);
  tcp_.timers().Cancel(keepalive_timer_);
  shutdown_ = kRcvShutdown | kSendShutdown;
  done_ = true;
  // (A child still in an accept queue stays there: accept() returns it,
  // and its first read reports what ended it, as in Linux.)
  if (orphan_) {
    if (!destroying_) {
      destroying_ = true;
      tcp_.core().loop().Defer(&destroy_work_);
    }
    return;
  }
  Wake();
}

// tcp_write_err: give up on the connection with a timeout (or the soft
// error an ICMP reported).
void TcpSock::WriteErr() {
  err_ = ETIMEDOUT;
  tcp_.ext.Inc(TcpExtMib::kTCPAbortOnTimeout);
  Done();
}

// tcp_time_wait: hand the 4-tuple to a TIME_WAIT (or FIN_WAIT2) mini socket
// and finish this one.
void TcpSock::TimeWait(TcpState substate, absl::Duration timeo) {
  Tcp& t = tcp_;
  if (t.tw_count_ < static_cast<size_t>(t.config().tcp_max_tw_buckets)) {
    auto* tw = new TcpTimewaitSock(t);
    tw->laddr = rcv_saddr_;
    tw->raddr = daddr_;
    tw->lport = sport_;
    tw->rport = dport_;
    tw->reuse = reuseaddr_;
    tw->substate = substate;
    tw->snd_nxt = snd_nxt_;
    tw->rcv_nxt = rcv_nxt_;
    tw->rcv_wnd = rcv_wnd_;
    tw->rcv_wscale = rx_opt_.rcv_wscale;
    tw->tstamp_ok = rx_opt_.tstamp_ok;
    tw->ts_recent = rx_opt_.ts_recent;
    tw->ts_recent_stamp_s = rx_opt_.ts_recent_stamp_s;
    tw->ts_off = ts_off_;
    t.ehash_[Tcp::FourTuple{tw->laddr.value(), tw->raddr.value(), tw->lport.value(), tw->rport.value()}] =
        Tcp::EhashEntry{Tcp::EhashEntry::kTimewait, tw};
    t.tw_ports_[tw->lport.value()].push_back(tw);
    in_ehash_ = false;  // the tuple now belongs to the mini socket
    t.timers().Arm(tw->timer, t.now() + (substate == TcpState::kTimeWait ? kTimewaitLen : timeo));
  } else {
    t.ext.Inc(TcpExtMib::kTCPTimeWaitOverflow);
  }
  Done();
}

// inet_csk_reset_xmit_timer's expiry: RTO or window probe.
void TcpSock::OnRetransmitTimer() {
  const XmitTimer kind = xmit_timer_kind_;
  xmit_timer_kind_ = XmitTimer::kNone;
  if (kind == XmitTimer::kProbe0) {
    ProbeTimer();
    return;
  }
  if (kind != XmitTimer::kRetrans || packets_out_ == 0) return;
  SkBuff* head = rtx_queue_.front();
  if (head == nullptr) return;
  if (snd_wnd_ == 0 && !orphan_ && state_ != TcpState::kSynSent && state_ != TcpState::kSynRecv) {
    // The receiver shrank its window to zero with data outstanding: our
    // retransmissions are window probes; do not time out for that.
    if (tcp_.now_ns() - rcv_tstamp_ns_ > absl::ToInt64Nanoseconds(absl::Milliseconds(tcp_.config().tcp_rto_max_ms))) {
      WriteErr();
      return;
    }
    EnterLoss();
    RetransmitSkb(*head);
  } else {
    tcp_.ext.Inc(TcpExtMib::kTCPTimeouts);
    if (WriteTimeout()) return;
    if (retransmits_ == 0) {
      if (ca_state_ == CaState::kRecovery) {
        // (Linux counts TCPSackRecoveryFail / TCPRenoRecoveryFail here.)
      } else if (ca_state_ == CaState::kLoss) {
        tcp_.ext.Inc(TcpExtMib::kTCPLossFailures);
      } else if (ca_state_ == CaState::kDisorder || sacked_out_ > 0) {
        tcp_.ext.Inc(rx_opt_.sack_ok ? TcpExtMib::kTCPSackFailures : TcpExtMib::kTCPRenoFailures);
      }
    }
    EnterLoss();
    ++retransmits_;
    if (RetransmitSkb(*head) != 0) {
      // Local congestion: try again soon without backing off.
      ResetXmitTimer(kResourceProbe);
      return;
    }
    tcp_.ext.Inc(TcpExtMib::kTCPSlowStartRetrans);
    ++backoff_;
  }
  // Exponential backoff (Karn), except the first tcp_syn_linear_timeouts
  // SYN retransmissions, which keep the initial RTO.
  const absl::Duration rto_max = absl::Milliseconds(tcp_.config().tcp_rto_max_ms);
  if (state_ != TcpState::kSynSent || retransmits_ > tcp_.config().tcp_syn_linear_timeouts) {
    rto_ = std::min(rto_ * 2, rto_max);
  }
  ResetXmitTimer(rto_);
}

// tcp_enter_loss: the RTO says everything in flight is lost; restart from
// a window of one segment (slow start up to the new ssthresh).
void TcpSock::EnterLoss() {
  if (ca_state_ <= CaState::kDisorder || !(high_seq_ > snd_una_) ||
      (ca_state_ == CaState::kLoss && retransmits_ == 0)) {
    prior_ssthresh_ = cc_.snd_ssthresh;
    prior_cwnd_ = cc_.snd_cwnd;
    cc_.snd_ssthresh = ca_->SsThresh(cc_);
    ca_->CwndEvent(cc_, CaEvent::kLoss, tcp_.now());
  }
  if (ca_state_ <= CaState::kDisorder && sacked_out_ >= static_cast<uint32_t>(tcp_.config().tcp_reordering)) {
    reordering_ = std::min<uint32_t>(reordering_, tcp_.config().tcp_reordering);
  }
  // tcp_timeout_mark_lost: all unSACKed segments are lost; retransmissions
  // in flight are presumed lost too.
  for (SkBuff* s = rtx_queue_.front(); s != nullptr; s = SkbQueue::next(s)) {
    TcpSkbCb& cb = s->Cb<TcpSkbCb>();
    if (cb.sacked & TcpSkbCb::kSackedRetrans) {
      cb.sacked &= static_cast<uint8_t>(~TcpSkbCb::kSackedRetrans);
      --retrans_out_;
    }
    if (!(cb.sacked & (TcpSkbCb::kSackedAcked | TcpSkbCb::kLost))) {
      cb.sacked |= TcpSkbCb::kLost;
      ++lost_out_;
    }
  }
  if (!rx_opt_.sack_ok) sacked_out_ = 0;
  cc_.snd_cwnd = InFlight(packets_out_, sacked_out_, lost_out_, retrans_out_) + 1;
  cc_.snd_cwnd_cnt = 0;
  ca_state_ = CaState::kLoss;
  ca_->SetState(cc_, CaState::kLoss);
  high_seq_ = snd_nxt_;
}

// tcp_write_timeout: have the retransmissions gone on long enough?
bool TcpSock::WriteTimeout() {
  const TcpConfig& c = tcp_.config();
  if (state_ == TcpState::kSynSent || state_ == TcpState::kSynRecv) {
    int max = syn_retries_ ? syn_retries_ : c.tcp_syn_retries;
    if (state_ == TcpState::kSynSent) max += c.tcp_syn_linear_timeouts;
    if (retransmits_ >= max) {
      WriteErr();
      return true;
    }
    return false;
  }
  int retry_until = c.tcp_retries2;
  if (orphan_) {
    const bool alive = rto_ < absl::Milliseconds(c.tcp_rto_max_ms);
    retry_until = c.tcp_orphan_retries;
    if (retry_until == 0 && alive) retry_until = 8;
  }
  if (retransmits_ == 0 || retrans_stamp_ns_ == 0) return false;
  // tcp_model_timeout: the time the given number of doubling RTOs from
  // rto_min would take, capped at RTO max each.
  const int64_t base_ms = absl::ToInt64Milliseconds(RtoMin());
  const int64_t max_ms = c.tcp_rto_max_ms;
  int thresh = 0;
  while ((base_ms << (thresh + 1)) <= max_ms) ++thresh;  // ilog2(max/base)
  int64_t timeout_ms;
  if (retry_until <= thresh) {
    timeout_ms = ((int64_t{2} << retry_until) - 1) * base_ms;
  } else {
    timeout_ms = ((int64_t{2} << thresh) - 1) * base_ms + (retry_until - thresh) * max_ms;
  }
  if (user_timeout_ms_ != 0) timeout_ms = user_timeout_ms_;
  if (tcp_.now_ns() - retrans_stamp_ns_ >= timeout_ms * 1000000) {
    WriteErr();
    return true;
  }
  return false;
}

// tcp_probe_timer: the peer's window is zero and we have data.
void TcpSock::ProbeTimer() {
  if (packets_out_ > 0 || write_queue_.empty()) {
    probes_out_ = 0;
    backoff_ = 0;
    return;
  }
  int max_probes = tcp_.config().tcp_retries2;
  if (orphan_) {
    const bool alive = rto_ * (int64_t{1} << backoff_) < absl::Milliseconds(tcp_.config().tcp_rto_max_ms);
    max_probes = tcp_.config().tcp_orphan_retries ? tcp_.config().tcp_orphan_retries : (alive ? 8 : 0);
  }
  if (probes_out_ >= max_probes) {
    WriteErr();
    return;
  }
  tcp_.ext.Inc(TcpExtMib::kTCPWinProbe);
  SendProbe0();
  if (packets_out_ > 0) {
    // The probe carried data (tcp_send_probe0): the RTO timer owns it now.
    probes_out_ = 0;
    backoff_ = 0;
    return;
  }
  ++probes_out_;
  if (backoff_ < tcp_.config().tcp_retries2) ++backoff_;
  xmit_timer_kind_ = XmitTimer::kProbe0;
  const absl::Duration when = std::min(std::max(rto_, RtoMin()) * (int64_t{1} << backoff_),
                                       absl::Milliseconds(tcp_.config().tcp_rto_max_ms));
  rtx_timer_expires_ = tcp_.now() + when;
  tcp_.timers().Arm(rtx_timer_, rtx_timer_expires_);
}

// tcp_delack_timer_handler.
void TcpSock::OnDelackTimer() {
  if (state_ == TcpState::kClose || state_ == TcpState::kListen) return;
  if (!(ack_pending_ & kAckSched)) return;
  if (!ack_pingpong_) {
    ato_ = std::min(ato_ * 2, rto_);  // the timer had to fire: inflate the ATO
  } else {
    ack_pingpong_ = false;  // leave interactive mode
    ato_ = kAtoMin;
  }
  SendAck();
  tcp_.ext.Inc(TcpExtMib::kDelayedACKs);
}

// tcp_keepalive_timer (also times out FIN_WAIT2 orphans).
void TcpSock::OnKeepaliveTimer() {
  if (state_ == TcpState::kFinWait2 && orphan_) {
    if (linger2_s_ >= 0) {
      const absl::Duration tmo = absl::Seconds(linger2_s_ ? linger2_s_ : tcp_.config().tcp_fin_timeout);
      if (tmo > kTimewaitLen) {
        TimeWait(TcpState::kFinWait2, tmo - kTimewaitLen);
        return;
      }
    }
    SendActiveReset();
    Done();
    return;
  }
  if (!keepalive_ || state_ == TcpState::kClose || state_ == TcpState::kSynSent || state_ == TcpState::kListen) {
    return;
  }
  absl::Duration next = KeepaliveTime();
  if (packets_out_ == 0 && write_queue_.empty()) {
    const absl::Duration elapsed =
        absl::Nanoseconds(tcp_.now_ns() - std::max(lrcvtime_ns_, rcv_tstamp_ns_));
    if (elapsed >= KeepaliveTime()) {
      const bool timed_out = user_timeout_ms_ != 0
                                 ? (elapsed >= absl::Milliseconds(user_timeout_ms_) && probes_out_ > 0)
                                 : probes_out_ >= KeepaliveProbes();
      if (timed_out) {
        SendActiveReset();
        WriteErr();
        return;
      }
      SendKeepalive();
      ++probes_out_;
      next = KeepaliveIntvl();
    } else {
      next = KeepaliveTime() - elapsed;
    }
  }
  ResetKeepaliveTimer(next);
}

}  // namespace usnet
