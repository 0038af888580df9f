// CUBIC (Linux net/ipv4/tcp_cubic.c, version 2.3; RFC 9438) with HyStart
// (Ha & Rhee, "Taming the Elephants: New TCP Slow Start", 2011).
//
// After a loss at window W_max, cwnd follows W(t) = C (t - K)^3 + W_max,
// where t is the time since the reduction and K = cbrt(W_max (1 - beta) / C)
// is when the curve comes back to W_max: fast (concave) growth back
// towards W_max, a plateau around it, then faster and faster (convex)
// probing beyond. The curve depends on time, not on RTT, so flows with
// different RTTs share a link fairly; where a Reno flow with the same loss
// rate would have a larger window (short RTTs, small windows), CUBIC grows
// at least as fast as that Reno estimate ("TCP-friendly region").
//
// The arithmetic is Linux's, integer and fixed-point, so windows come out
// packet for packet the same:
//   - time in the cubic is counted in 1/1024 s (BICTCP_HZ = 10 bits), from
//     a clock of jiffies; here HZ = 1000, so one jiffy is one millisecond
//     of `now` (floored);
//   - C = bic_scale * 10 / 1024 (0.4004 with bic_scale 41) and K is
//     computed with Linux's table-driven cube root;
//   - the target is evaluated one min-RTT ahead (t + delay_min).
// HyStart's clock is microseconds of `now` (Linux tcp_mstamp).
#include <algorithm>
#include <bit>
#include <limits>
#include <optional>
#include <type_traits>

#include "net/ipv4/tcp_cong.h"

namespace usnet {

namespace {

// Linux BICTCP_BETA_SCALE: beta is a fraction of 1024.
constexpr uint32_t kBetaScale = 1024;
// Linux BICTCP_HZ: the cubic's time unit is 2^-10 s.
constexpr int kBicHzShift = 10;
// Jiffies per second. Linux's CONFIG_HZ varies (Debian uses 250); usnet
// fixes one jiffy at one millisecond.
constexpr int64_t kHz = 1000;

// HyStart (Linux HYSTART_*): at least 8 RTT samples in a round before the
// delay test, whose threshold is delay_min/8 kept within [4, 16] ms.
constexpr uint8_t kHystartMinSamples = 8;
constexpr uint32_t kHystartDelayMinUs = 4000;
constexpr uint32_t kHystartDelayMaxUs = 16000;

int64_t Jiffies(absl::Time t) { return absl::ToUnixMillis(t); }
int64_t ClockUs(absl::Time t) { return absl::ToUnixMicros(t); }

// Linux usecs_to_jiffies: rounds up.
int64_t UsecsToJiffies(uint32_t us) {
  constexpr int64_t kUsPerJiffy = 1000000 / kHz;
  return (int64_t{us} + kUsPerJiffy - 1) / kUsPerJiffy;
}

}  // namespace

uint32_t TcpCubicRoot(uint64_t a) {
  // Entry i is about cbrt(i << 18) - 1, so cbrt(i) ~ (entry + 10) >> 6.
  // The values are Linux's (Willy Tarreau tuned them by hand), which is
  // what makes K agree with Linux to the unit.
  static constexpr uint8_t kCbrtOfTopBits[64] = {
      0,   54,  54,  54,  118, 118, 118, 118, 123, 129, 134, 138, 143, 147, 151, 156,
      157, 161, 164, 168, 170, 173, 176, 179, 181, 185, 187, 190, 192, 194, 197, 199,
      200, 202, 204, 206, 209, 211, 213, 215, 217, 219, 221, 222, 224, 225, 227, 229,
      231, 232, 234, 236, 237, 239, 240, 242, 244, 245, 246, 248, 250, 251, 252, 254,
  };
  const uint32_t bits = static_cast<uint32_t>(std::bit_width(a));  // Linux fls64
  if (bits < 7) {
    // Small enough to index the table directly (with a different rounding).
    return (uint32_t{kCbrtOfTopBits[a]} + 35) >> 6;
  }
  // Keep the top 4-6 bits of a (a shift by a multiple of 3, about bits/3
  // triplets; * 84 / 256 approximates / 3), look up their cube root, and
  // scale it back by 2^shift.
  const uint32_t shift = ((bits * 84) >> 8) - 1;
  const uint32_t top = static_cast<uint32_t>(a >> (shift * 3));
  uint32_t x = ((uint32_t{kCbrtOfTopBits[top]} + 10) << shift) >> 6;
  // One Newton-Raphson step x' = (2x + a/x^2) / 3, with Linux's x(x-1) for
  // x^2 and * 341 / 1024 for / 3.
  x = 2 * x + static_cast<uint32_t>(a / (uint64_t{x} * (x - 1)));
  return (x * 341) >> 10;
}

namespace {

class TcpCubic final : public CongestionControl {
 public:
  explicit TcpCubic(const CubicParams& p)
      : p_(p),
        // Reno's additive increase for the friendly region, as "ACKs per
        // packet of increase, * 8": 3 (1 - beta) / (1 + beta) packets per
        // RTT is Reno's rate at CUBIC's loss rate (RFC 9438 4.3).
        beta_scale_(8 * (kBetaScale + p.beta) / 3 / (kBetaScale - p.beta)),
        // C scaled for the fixed point: 1024 * C (= bic_scale * 10).
        cube_rtt_scale_(p.bic_scale * 10),
        // K = cbrt((W_max - cwnd) / C) in 2^-10 s is cbrt((W_max - cwnd) *
        // cube_factor) with cube_factor = 2^30 / C = 2^40 / (bic_scale * 10).
        cube_factor_((uint64_t{1} << (10 + 3 * kBicHzShift)) / (p.bic_scale * 10)) {}

  std::string_view name() const override { return "cubic"; }

  // Linux cubictcp_init.
  void Init(TcpCongState& s, absl::Time now) override {
    Reset();
    if (p_.hystart) HystartReset(s, now);
    if (!p_.hystart && p_.initial_ssthresh != 0) s.snd_ssthresh = p_.initial_ssthresh;
  }

  // Linux cubictcp_recalc_ssthresh.
  uint32_t SsThresh(TcpCongState& s) override {
    epoch_start_.reset();  // the next ACK starts a new curve
    // Fast convergence: a loss below the previous W_max means the flow's
    // share is shrinking (a new flow arrived), so give up more: aim the
    // next plateau at (1 + beta) / 2 of this window, not at it.
    if (s.snd_cwnd < last_max_cwnd_ && p_.fast_convergence) {
      last_max_cwnd_ = s.snd_cwnd * (kBetaScale + p_.beta) / (2 * kBetaScale);
    } else {
      last_max_cwnd_ = s.snd_cwnd;
    }
    return std::max(s.snd_cwnd * p_.beta / kBetaScale, 2u);
  }

  // Linux cubictcp_cong_avoid.
  void CongAvoid(TcpCongState& s, uint32_t acked, absl::Time now) override {
    if (!TcpIsCwndLimited(s)) return;
    if (TcpInSlowStart(s)) {
      acked = TcpSlowStart(s, acked);
      if (acked == 0) return;
    }
    Update(s.snd_cwnd, acked, now);
    TcpCongAvoidAi(s, cnt_, acked);
  }

  // Linux cubictcp_state: a timeout forgets everything, W_max included.
  void SetState(TcpCongState& s, CaState new_state) override {
    if (new_state != CaState::kLoss) return;
    Reset();
    HystartReset(s, s.mstamp);
  }

  // Linux cubictcp_cwnd_event.
  void CwndEvent(TcpCongState& s, CaEvent event, absl::Time now) override {
    if (event != CaEvent::kTxStart) return;
    // Sending resumes after the application left the link idle: slide the
    // epoch by the idle time, so the curve continues where it stopped
    // instead of jumping to where the clock says it should be by now.
    const int64_t now_j = Jiffies(now);
    const int64_t idle = now_j - Jiffies(s.lsndtime);
    if (epoch_start_ && idle > 0) {
      *epoch_start_ = std::min(*epoch_start_ + idle, now_j);
    }
  }

  // Linux uses tcp_reno_undo_cwnd for CUBIC.
  uint32_t UndoCwnd(TcpCongState& s) override { return TcpRenoUndoCwnd(s); }

  // Linux cubictcp_acked: track the minimum RTT; in slow start, HyStart.
  void PktsAcked(TcpCongState& s, uint32_t, std::optional<absl::Duration> rtt,
                 absl::Time now) override {
    if (!rtt || *rtt < absl::ZeroDuration()) return;  // no sample (dup ACK)
    // Samples during the first second after a reduction still carry the
    // queue that caused it; skip them.
    if (epoch_start_ && Jiffies(now) - *epoch_start_ < kHz) return;
    const int64_t us = absl::ToInt64Microseconds(*rtt);
    const uint32_t delay =
        static_cast<uint32_t>(std::clamp<int64_t>(us, 1, std::numeric_limits<uint32_t>::max()));
    if (delay_min_us_ == 0 || delay_min_us_ > delay) delay_min_us_ = delay;
    if (!found_ && TcpInSlowStart(s) && p_.hystart) HystartUpdate(s, delay, now);
  }

 private:
  // Linux bictcp_reset. HyStart's round fields survive (HystartReset).
  void Reset() {
    cnt_ = 0;
    last_max_cwnd_ = 0;
    last_cwnd_ = 0;
    last_time_ = 0;
    origin_point_ = 0;
    k_ = 0;
    delay_min_us_ = 0;
    epoch_start_.reset();
    ack_cnt_ = 0;
    tcp_cwnd_ = 0;
    found_ = false;
  }

  // Linux bictcp_update: sets cnt_, the ACKs per one packet of increase.
  void Update(uint32_t cwnd, uint32_t acked, absl::Time now) {
    ack_cnt_ += acked;
    const int64_t now_j = Jiffies(now);
    // Same window and less than 1/32 s since the last computation: keep
    // cnt_ (and skip the friendliness catch-up too).
    if (last_cwnd_ == cwnd && now_j - last_time_ <= kHz / 32) return;
    // The cubic itself is evaluated at most once per jiffy; a reduction
    // clears the epoch, which forces a new evaluation.
    if (!epoch_start_ || now_j != last_time_) CubicTarget(cwnd, acked, now_j);
    if (p_.tcp_friendliness) RenoFriendly(cwnd);
    // At most one packet per two ACKed: 1.5x per RTT.
    cnt_ = std::max(cnt_, 2u);
  }

  void CubicTarget(uint32_t cwnd, uint32_t acked, int64_t now_j) {
    last_cwnd_ = cwnd;
    last_time_ = now_j;
    if (!epoch_start_) StartEpoch(cwnd, acked, now_j);

    // t: time into the epoch plus one min RTT (aim where the curve will be
    // when this window's data is ACKed), in 2^-10 s.
    uint64_t t = static_cast<uint64_t>(std::max<int64_t>(0, now_j - *epoch_start_));
    t += static_cast<uint64_t>(UsecsToJiffies(delay_min_us_));
    t = (t << kBicHzShift) / kHz;

    // |C (t - K)^3| in packets; 64-bit, fine below a million packets.
    const bool below = t < k_;
    const uint64_t offs = below ? k_ - t : t - k_;
    const uint32_t delta =
        static_cast<uint32_t>((cube_rtt_scale_ * offs * offs * offs) >> (10 + 3 * kBicHzShift));
    const uint32_t target = below ? origin_point_ - delta : origin_point_ + delta;

    // Spread (target - cwnd) packets of growth over one window of ACKs; at
    // or above the target, creep.
    cnt_ = target > cwnd ? cwnd / (target - cwnd) : 100 * cwnd;
    // With no W_max known yet (no loss so far), the curve from here is
    // flat at first: grow at least 5% per RTT.
    if (last_max_cwnd_ == 0 && cnt_ > 20) cnt_ = 20;
  }

  void StartEpoch(uint32_t cwnd, uint32_t acked, int64_t now_j) {
    epoch_start_ = now_j;
    ack_cnt_ = acked;
    tcp_cwnd_ = cwnd;  // the Reno estimate starts from here too
    if (last_max_cwnd_ <= cwnd) {
      // Already at or past W_max: the curve starts at its plateau.
      k_ = 0;
      origin_point_ = cwnd;
    } else {
      k_ = TcpCubicRoot(cube_factor_ * (last_max_cwnd_ - cwnd));
      origin_point_ = last_max_cwnd_;
    }
  }

  // The TCP-friendly region: advance an estimate of Reno's window by one
  // packet per (cwnd * beta_scale / 8) ACKs, and if Reno would be ahead,
  // grow at least fast enough to catch up within a window.
  void RenoFriendly(uint32_t cwnd) {
    const uint32_t per_packet = (cwnd * beta_scale_) >> 3;
    // Linux subtracts in a loop while ack_cnt > per_packet; same result.
    if (per_packet > 0 && ack_cnt_ > per_packet) {
      const uint32_t n = (ack_cnt_ - 1) / per_packet;
      ack_cnt_ -= n * per_packet;
      tcp_cwnd_ += n;
    }
    if (tcp_cwnd_ > cwnd) {
      const uint32_t max_cnt = cwnd / (tcp_cwnd_ - cwnd);
      cnt_ = std::min(cnt_, max_cnt);
    }
  }

  // Linux bictcp_hystart_reset: a new round begins, ending when everything
  // sent so far is ACKed.
  void HystartReset(const TcpCongState& s, absl::Time now) {
    round_start_us_ = last_ack_us_ = ClockUs(now);
    end_seq_ = s.snd_nxt;
    curr_rtt_us_ = ~0u;
    sample_cnt_ = 0;
  }

  // Linux hystart_ack_delay: allowance for TSO/GRO batching, the time to
  // send four maximal GSO packets at the pacing rate, at most 1 ms.
  static uint32_t HystartAckDelay(const TcpCongState& s) {
    if (s.pacing_rate == 0) return 0;
    return static_cast<uint32_t>(
        std::min<uint64_t>(1000, uint64_t{s.gso_max_size} * 4 * 1000000 / s.pacing_rate));
  }

  // Linux hystart_update: decide whether slow start should end here, before
  // a loss tells it to.
  void HystartUpdate(TcpCongState& s, uint32_t delay_us, absl::Time now) {
    if (s.snd_una > end_seq_) HystartReset(s, now);
    if (s.snd_cwnd < p_.hystart_low_window) return;

    if (p_.hystart_detect & kHystartAckTrain) {
      // ACK train: ACKs keep arriving closely spaced (the bottleneck is
      // busy) for longer than half the min RTT since the round began, so
      // the pipe is nearly full. Without pacing, half: an unpaced round's
      // data leaves in a burst.
      const int64_t now_us = ClockUs(now);
      if (now_us - last_ack_us_ <= p_.hystart_ack_delta_us) {
        last_ack_us_ = now_us;
        uint32_t threshold = delay_min_us_ + HystartAckDelay(s);
        if (!s.pacing) threshold >>= 1;
        if (now_us - round_start_us_ > threshold) {
          found_ = true;
          s.counters.hystart_train_detect++;
          s.counters.hystart_train_cwnd += s.snd_cwnd;
          s.snd_ssthresh = s.snd_cwnd;
        }
      }
    }

    if (p_.hystart_detect & kHystartDelay) {
      // Delay increase: the smallest RTT of this round (after a few
      // samples) exceeds the min RTT by an eighth of it, within [4, 16] ms:
      // a queue is building.
      curr_rtt_us_ = std::min(curr_rtt_us_, delay_us);
      if (sample_cnt_ < kHystartMinSamples) {
        sample_cnt_++;
      } else if (curr_rtt_us_ > delay_min_us_ + std::clamp(delay_min_us_ >> 3, kHystartDelayMinUs,
                                                           kHystartDelayMaxUs)) {
        found_ = true;
        s.counters.hystart_delay_detect++;
        s.counters.hystart_delay_cwnd += s.snd_cwnd;
        s.snd_ssthresh = s.snd_cwnd;
      }
    }
  }

  const CubicParams p_;
  const uint32_t beta_scale_;
  const uint32_t cube_rtt_scale_;
  const uint64_t cube_factor_;

  // Linux struct bictcp.
  uint32_t cnt_ = 0;                    // ACKs for one packet of increase
  uint32_t last_max_cwnd_ = 0;          // W_max
  uint32_t last_cwnd_ = 0;              // cwnd at the last evaluation
  int64_t last_time_ = 0;               // jiffy of the last evaluation
  uint32_t origin_point_ = 0;           // the plateau of the current curve
  uint64_t k_ = 0;                      // K, in 2^-10 s
  uint32_t delay_min_us_ = 0;           // min RTT seen (0: none yet)
  std::optional<int64_t> epoch_start_;  // jiffy the curve began; none after a loss
  uint32_t ack_cnt_ = 0;                // ACKed packets not yet in tcp_cwnd_
  uint32_t tcp_cwnd_ = 0;               // the Reno estimate
  // HyStart.
  uint8_t sample_cnt_ = 0;  // RTT samples this round
  bool found_ = false;      // slow start's exit point was found
  int64_t round_start_us_ = 0;
  SeqNum end_seq_;              // the round ends when snd_una passes this
  int64_t last_ack_us_ = 0;     // last ACK of the current train
  uint32_t curr_rtt_us_ = ~0u;  // min RTT of this round
};
static_assert(!std::is_abstract_v<TcpCubic>, "TcpCubic must implement every required op");

}  // namespace

std::unique_ptr<CongestionControl> MakeTcpCubic(const CubicParams& params) {
  return std::make_unique<TcpCubic>(params);
}

}  // namespace usnet
