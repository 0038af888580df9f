// Pluggable TCP congestion control (Linux net/ipv4/tcp_cong.c, struct
// tcp_congestion_ops). An algorithm is an object behind the
// CongestionControl interface; it works on a small TcpCongState that the
// TCP socket owns and keeps current, so this module knows nothing of
// sockets, segments or clocks: every hook that needs the time takes `now`.
// Built in: "reno" (this file, Linux tcp_reno) and "cubic" (tcp_cubic.cc,
// Linux's default), chosen by name as net.ipv4.tcp_congestion_control does.
//
//   std::unique_ptr<CongestionControl> ca = MakeCongestionControl("cubic");
//   TcpCongState cc;                    // cwnd 10, ssthresh "infinite"
//   cc.snd_nxt = snd_nxt;  cc.snd_una = snd_una;
//   ca->Init(cc, now);                  // connection established
//   // on each ACK that advances snd_una by `acked` packets:
//   ca->PktsAcked(cc, acked, rtt_sample, now);
//   cc.is_cwnd_limited = ...;  ca->CongAvoid(cc, acked, now);
//   // on entering fast recovery (tcp_init_cwnd_reduction):
//   cc.prior_cwnd = cc.snd_cwnd;  cc.snd_ssthresh = ca->SsThresh(cc);
//   ca->SetState(cc, CaState::kRecovery);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "net/ipv4/tcp_seq.h"

namespace usnet {

// Linux TCP_INIT_CWND (RFC 6928) and TCP_INFINITE_SSTHRESH.
inline constexpr uint32_t kTcpInitCwnd = 10;
inline constexpr uint32_t kTcpInfiniteSsthresh = 0x7fffffff;

// The part of Linux's tcp_sock (and sock) that congestion-control ops read
// or write. Windows count packets (MSS-sized segments), as in Linux. The
// socket owns one per connection and must keep the "input" fields current
// before calling a hook; the algorithm changes only snd_cwnd, snd_cwnd_cnt
// and snd_ssthresh (and the hystart counters).
struct TcpCongState {
  // Written by the algorithm and by the socket's loss recovery.
  uint32_t snd_cwnd = kTcpInitCwnd;
  uint32_t snd_ssthresh = kTcpInfiniteSsthresh;
  // Linear increase counter: ACKed packets not yet turned into cwnd
  // (tcp_cong_avoid_ai).
  uint32_t snd_cwnd_cnt = 0;
  // Upper bound on snd_cwnd (tcp_init_sock sets ~0; TCP_WINDOW_CLAMP and
  // route metrics lower it).
  uint32_t snd_cwnd_clamp = ~0u;
  // snd_cwnd when the last reduction began (tcp_init_cwnd_reduction,
  // tcp_enter_loss), for undo.
  uint32_t prior_cwnd = 0;

  // Inputs kept current by the socket.
  uint32_t mss = 536;
  uint32_t packets_in_flight = 0;  // tcp_packets_in_flight
  // The most packets out during the last window (tcp_cwnd_validate): in
  // slow start cwnd may grow while it is below twice this.
  uint32_t max_packets_out = 0;
  // Whether the sender used the whole cwnd in the last window (rather than
  // being limited by the application or the receiver's window).
  bool is_cwnd_limited = false;
  uint32_t delivered = 0;  // packets delivered so far (tp->delivered)
  SeqNum snd_una;          // oldest unacknowledged sequence number
  SeqNum snd_nxt;          // next sequence number to send
  // When data was last sent (tp->lsndtime); read by CwndEvent(kTxStart),
  // which the socket raises before updating it.
  absl::Time lsndtime = absl::UnixEpoch();
  // Pacing, as HyStart's ACK-train test reads it (hystart_ack_delay):
  // sk_pacing_rate in bytes/s (0: none computed, no cushion), whether the
  // socket paces (sk_pacing_status != SK_PACING_NONE) and sk_gso_max_size.
  uint64_t pacing_rate = 0;
  bool pacing = false;
  uint32_t gso_max_size = 65536;
  // Linux tp->tcp_mstamp: when the socket last refreshed its clock, i.e.
  // the time of the event being handled. Only SetState reads it: like
  // Linux's set_state it has no time argument, yet CUBIC restarts its
  // HyStart round there. (Hooks that take `now` use that instead.)
  absl::Time mstamp = absl::UnixEpoch();

  // Events Linux counts in the TcpExt MIB; the socket folds them into its
  // counters (they only ever grow).
  struct Counters {
    uint64_t hystart_train_detect = 0;  // TCPHystartTrainDetect
    uint64_t hystart_train_cwnd = 0;    // TCPHystartTrainCwnd (sum of cwnd)
    uint64_t hystart_delay_detect = 0;  // TCPHystartDelayDetect
    uint64_t hystart_delay_cwnd = 0;    // TCPHystartDelayCwnd
  } counters;
};

// Linux enum tcp_ca_state (icsk_ca_state), in Linux's order: TCP code
// compares states with <.
enum class CaState : uint8_t { kOpen, kDisorder, kCwr, kRecovery, kLoss };

// Linux enum tcp_ca_event.
enum class CaEvent : uint8_t {
  kTxStart,      // first transmit when no packets are in flight
  kCwndRestart,  // congestion window restart after idle
  kCompleteCwr,  // end of a congestion window reduction
  kLoss,         // loss timeout
  kEcnNoCe,      // ECT set, but not CE
  kEcnIsCe,      // received CE
};

// Linux struct tcp_congestion_ops. SsThresh, CongAvoid and UndoCwnd are the
// ops Linux requires (tcp_validate_congestion_control); the others default
// to doing nothing, as a NULL op does.
class CongestionControl {
 public:
  virtual ~CongestionControl() = default;

  // .name: what net.ipv4.tcp_congestion_control and TCP_CONGESTION show.
  virtual std::string_view name() const = 0;
  // .init: the connection is established (tcp_init_congestion_control).
  virtual void Init(TcpCongState& s, absl::Time now);
  // .ssthresh: the new slow start threshold after a loss. Called once per
  // reduction, with snd_cwnd still the window in which the loss happened.
  virtual uint32_t SsThresh(TcpCongState& s) = 0;
  // .cong_avoid: `acked` more packets were acknowledged in state Open,
  // Disorder or Loss; grow snd_cwnd.
  virtual void CongAvoid(TcpCongState& s, uint32_t acked, absl::Time now) = 0;
  // .set_state: called before the socket changes its CaState.
  virtual void SetState(TcpCongState& s, CaState new_state);
  // .cwnd_event.
  virtual void CwndEvent(TcpCongState& s, CaEvent event, absl::Time now);
  // .undo_cwnd: the cwnd to go back to when a reduction proves spurious.
  virtual uint32_t UndoCwnd(TcpCongState& s) = 0;
  // .pkts_acked: an ACK acknowledged `acked` packets; `rtt` is its RTT
  // sample, nullopt when it has none (Linux: ack_sample.rtt_us < 0).
  virtual void PktsAcked(TcpCongState& s, uint32_t acked, std::optional<absl::Duration> rtt,
                         absl::Time now);
};

// Helpers shared by algorithms, as in Linux tcp_cong.c / tcp.h.

// tcp_in_slow_start: cwnd below ssthresh.
inline bool TcpInSlowStart(const TcpCongState& s) { return s.snd_cwnd < s.snd_ssthresh; }
// tcp_is_cwnd_limited: grow only a window that was used; in slow start
// also while cwnd is below twice what was recently in flight.
bool TcpIsCwndLimited(const TcpCongState& s);
// tcp_slow_start: cwnd += acked, but not past ssthresh (nor the clamp).
// Returns the ACKs left over for congestion avoidance.
uint32_t TcpSlowStart(TcpCongState& s, uint32_t acked);
// tcp_cong_avoid_ai: cwnd += acked / w (one packet per w packets ACKed),
// carrying the remainder in snd_cwnd_cnt.
void TcpCongAvoidAi(TcpCongState& s, uint32_t w, uint32_t acked);
// tcp_reno_cong_avoid: slow start, then one packet per window per RTT.
void TcpRenoCongAvoid(TcpCongState& s, uint32_t acked);
// tcp_reno_ssthresh: half the window, at least 2.
uint32_t TcpRenoSsThresh(const TcpCongState& s);
// tcp_reno_undo_cwnd: back to the window before the reduction.
uint32_t TcpRenoUndoCwnd(const TcpCongState& s);

// CUBIC's tunables: Linux module parameters of tcp_cubic
// (/sys/module/tcp_cubic/parameters), here per instance. Defaults are
// Linux's.
struct CubicParams {
  bool fast_convergence = true;
  uint32_t beta = 717;            // multiplicative decrease, /1024 (0.7)
  uint32_t initial_ssthresh = 0;  // used only without HyStart; 0: none
  uint32_t bic_scale = 41;        // C = bic_scale * 10 / 1024 = 0.4
  bool tcp_friendliness = true;
  bool hystart = true;
  // Bit 0x1: ACK-train detection; bit 0x2: delay-increase detection.
  uint32_t hystart_detect = 0x3;
  uint32_t hystart_low_window = 16;
  uint32_t hystart_ack_delta_us = 2000;
};
inline constexpr uint32_t kHystartAckTrain = 0x1;
inline constexpr uint32_t kHystartDelay = 0x2;

// CUBIC's integer cube root (Linux cubic_root: a 64-entry table lookup
// and one Newton-Raphson step, ~0.2% average error). Exposed for tests.
uint32_t TcpCubicRoot(uint64_t a);

std::unique_ptr<CongestionControl> MakeTcpReno();
std::unique_ptr<CongestionControl> MakeTcpCubic(const CubicParams& params = {});

// An algorithm by name ("reno", "cubic"); nullptr for an unknown name
// (Linux tcp_set_congestion_control: -ENOENT).
std::unique_ptr<CongestionControl> MakeCongestionControl(std::string_view name);
// The names MakeCongestionControl accepts, in registration order (Linux
// lists "reno cubic").
std::span<const std::string_view> AvailableCongestionControls();
// net.ipv4.tcp_available_congestion_control: the names joined by spaces
// (tcp_get_available_congestion_control).
std::string AvailableCongestionControlsString();

}  // namespace usnet
