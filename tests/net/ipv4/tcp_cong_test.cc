// Congestion control (Linux tcp_cong.c, tcp_cubic.c) in virtual time: the
// shared Reno helpers on their own, then Reno and CUBIC driven by a
// simulated ACK clock and checked against the formulas (RFC 5681, RFC 9438)
// and against Linux's integer arithmetic.
#include "net/ipv4/tcp_cong.h"

#include <cmath>
#include <deque>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace usnet {
namespace {

using absl::Milliseconds;
using absl::Seconds;

constexpr absl::Duration kRtt = absl::Milliseconds(100);
const absl::Time kStart = absl::FromUnixSeconds(1000);

// CUBIC's constants as Linux has them: C = bic_scale * 10 / 1024 and
// beta = 717 / 1024.
constexpr double kC = 41.0 * 10 / 1024;
constexpr double kBeta = 717.0 / 1024;

// RFC 9438 4.2: K = cbrt(W_max (1 - beta) / C), the time a curve starting
// at beta * W_max needs to come back to W_max.
double CubicK(double w_max, double cwnd) { return std::cbrt((w_max - cwnd) / kC); }
// W(t) = C (t - K)^3 + W_max.
double CubicW(double t, double k, double w_max) { return kC * std::pow(t - k, 3) + w_max; }

// A sender that always has data, behind a FIFO bottleneck serving one
// packet per `service` (zero: unlimited) on a path with a fixed base RTT:
// the ACK clock an algorithm sees, one ACK per packet, each letting the
// sender fill cwnd again. Losses are not simulated packet by packet:
// Loss() is fast recovery in one step (ssthresh and cwnd cut at once, no
// growth until the window in flight at the loss is ACKed, as Linux's PRR
// phase does not call cong_avoid), Timeout() an RTO.
class AckClock {
 public:
  explicit AckClock(std::unique_ptr<CongestionControl> ca, absl::Duration rtt = kRtt,
                    absl::Duration service = absl::ZeroDuration())
      : ca_(std::move(ca)), rtt_(rtt), service_(service) {}

  TcpCongState& s() { return s_; }
  CongestionControl& ca() { return *ca_; }
  absl::Time now() const { return now_; }
  uint32_t cwnd() const { return s_.snd_cwnd; }

  // The connection is established: tcp_init_congestion_control, then the
  // first window goes out.
  void Start(uint32_t cwnd, uint32_t ssthresh = kTcpInfiniteSsthresh) {
    s_.snd_cwnd = cwnd;
    s_.snd_ssthresh = ssthresh;
    s_.mstamp = now_;
    ca_->Init(s_, now_);
    Send();
  }
  // One RTT sample outside the ACK flow (the handshake's).
  void SampleRtt() { ca_->PktsAcked(s_, 0, rtt_, now_); }

  // Handles every ACK due by `t`, then moves the clock to `t`.
  void RunUntil(absl::Time t) {
    while (!flight_.empty() && flight_.front().acked_at <= t) OnAck();
    now_ = std::max(now_, t);
  }
  void RunFor(absl::Duration d) { RunUntil(now_ + d); }

  // tcp_enter_recovery + tcp_init_cwnd_reduction, collapsed.
  void Loss() {
    s_.prior_cwnd = s_.snd_cwnd;
    s_.snd_cwnd_cnt = 0;
    s_.snd_ssthresh = ca_->SsThresh(s_);
    ca_->SetState(s_, CaState::kRecovery);
    s_.snd_cwnd = s_.snd_ssthresh;
    high_seq_ = s_.snd_nxt;
    in_recovery_ = true;
  }

  // The application stops writing: the flight drains and cwnd stays (the
  // sender is not cwnd-limited). ResumeWriting sends again; the first
  // packet raises CA_EVENT_TX_START unless `tx_start` is false.
  void StopWriting() { app_limited_ = true; }
  void ResumeWriting(bool tx_start = true) {
    app_limited_ = false;
    tx_start_ = tx_start;
    Send();
  }

 private:
  struct Packet {
    absl::Time sent_at;
    absl::Time acked_at;
  };

  void OnAck() {
    const Packet p = flight_.front();
    flight_.pop_front();
    now_ = p.acked_at;
    s_.mstamp = now_;
    s_.snd_una += 1;
    s_.packets_in_flight = static_cast<uint32_t>(flight_.size());
    ca_->PktsAcked(s_, 1, now_ - p.sent_at, now_);
    bool may_raise = true;
    if (in_recovery_) {
      may_raise = false;
      if (s_.snd_una >= high_seq_) {  // tcp_end_cwnd_reduction, back to Open
        in_recovery_ = false;
        s_.snd_cwnd = s_.snd_ssthresh;
        ca_->SetState(s_, CaState::kOpen);
        may_raise = true;
      }
    }
    if (may_raise) {
      s_.is_cwnd_limited = !app_limited_;
      s_.max_packets_out = app_limited_ ? 0 : s_.snd_cwnd;
      ca_->CongAvoid(s_, 1, now_);
    }
    Send();
  }

  void Send() {
    if (app_limited_) return;
    while (flight_.size() < s_.snd_cwnd) {
      // tcp_event_data_sent: TX_START before lsndtime moves.
      if (flight_.empty() && tx_start_) ca_->CwndEvent(s_, CaEvent::kTxStart, now_);
      s_.lsndtime = now_;
      link_free_ = std::max(link_free_, now_) + service_;
      flight_.push_back({now_, link_free_ + rtt_});
      s_.snd_nxt += 1;
    }
  }

  std::unique_ptr<CongestionControl> ca_;
  const absl::Duration rtt_, service_;
  TcpCongState s_;
  absl::Time now_ = kStart;
  absl::Time link_free_ = kStart;
  std::deque<Packet> flight_;
  bool in_recovery_ = false;
  SeqNum high_seq_;
  bool app_limited_ = false;
  bool tx_start_ = true;
};

// ---------------------------------------------------------------------------
// The shared helpers (tcp_cong.c).

TEST(TcpCongHelpers, SlowStartStopsAtSsthreshAndReturnsLeftover) {
  TcpCongState s;
  s.snd_cwnd = 8;
  s.snd_ssthresh = 10;
  EXPECT_EQ(TcpSlowStart(s, 5), 3u);  // 2 used to reach ssthresh, 3 left
  EXPECT_EQ(s.snd_cwnd, 10u);
  s.snd_cwnd = 4;
  EXPECT_EQ(TcpSlowStart(s, 3), 0u);  // all used
  EXPECT_EQ(s.snd_cwnd, 7u);
}

TEST(TcpCongHelpers, SlowStartRespectsClampButCountsLeftoverBeforeIt) {
  TcpCongState s;
  s.snd_cwnd = 8;
  s.snd_ssthresh = 10;
  s.snd_cwnd_clamp = 9;
  EXPECT_EQ(TcpSlowStart(s, 5), 3u);
  EXPECT_EQ(s.snd_cwnd, 9u);
}

TEST(TcpCongHelpers, CongAvoidAiAddsOnePerWAckedAndKeepsTheRemainder) {
  TcpCongState s;
  s.snd_cwnd = 10;
  TcpCongAvoidAi(s, 10, 9);
  EXPECT_EQ(s.snd_cwnd, 10u);
  EXPECT_EQ(s.snd_cwnd_cnt, 9u);
  TcpCongAvoidAi(s, 10, 1);
  EXPECT_EQ(s.snd_cwnd, 11u);
  EXPECT_EQ(s.snd_cwnd_cnt, 0u);
  // A stretch ACK of 25 at w = 10: two packets, 5 carried.
  TcpCongAvoidAi(s, 10, 25);
  EXPECT_EQ(s.snd_cwnd, 13u);
  EXPECT_EQ(s.snd_cwnd_cnt, 5u);
}

TEST(TcpCongHelpers, CongAvoidAiSpendsCreditFromALargerWOnePacketAtATime) {
  TcpCongState s;
  s.snd_cwnd = 20;
  s.snd_cwnd_cnt = 45;  // earned while w was 50
  TcpCongAvoidAi(s, 10, 1);
  // Not 4 packets: one for the credit, which is dropped, then the new ACK.
  EXPECT_EQ(s.snd_cwnd, 21u);
  EXPECT_EQ(s.snd_cwnd_cnt, 1u);
}

TEST(TcpCongHelpers, CwndLimitedInSlowStartAllowsTwiceWhatWasInFlight) {
  TcpCongState s;
  s.snd_cwnd = 10;
  s.is_cwnd_limited = false;
  s.max_packets_out = 6;
  EXPECT_TRUE(TcpIsCwndLimited(s));  // 10 < 12
  s.max_packets_out = 5;
  EXPECT_FALSE(TcpIsCwndLimited(s));  // 10 >= 10
  s.snd_ssthresh = 10;                // congestion avoidance: no leeway
  s.max_packets_out = 100;
  EXPECT_FALSE(TcpIsCwndLimited(s));
  s.is_cwnd_limited = true;
  EXPECT_TRUE(TcpIsCwndLimited(s));
}

// ---------------------------------------------------------------------------
// Reno.

TEST(Reno, SlowStartDoublesPerRttUpToSsthreshThenOnePacketPerRtt) {
  AckClock c(MakeTcpReno());
  c.Start(10, 80);
  std::vector<uint32_t> per_rtt;
  for (int i = 1; i <= 7; ++i) {
    c.RunUntil(kStart + i * kRtt + Milliseconds(50));  // after the i-th window's ACKs
    per_rtt.push_back(c.cwnd());
  }
  EXPECT_EQ(per_rtt, (std::vector<uint32_t>{20, 40, 80, 81, 82, 83, 84}));
}

TEST(Reno, DoesNotGrowWhenNotCwndLimited) {
  auto reno = MakeTcpReno();
  TcpCongState s;
  s.snd_cwnd = 20;
  s.snd_ssthresh = 10;
  s.is_cwnd_limited = false;
  for (int i = 0; i < 100; ++i) reno->CongAvoid(s, 1, kStart);
  EXPECT_EQ(s.snd_cwnd, 20u);
  s.is_cwnd_limited = true;
  for (int i = 0; i < 20; ++i) reno->CongAvoid(s, 1, kStart);
  EXPECT_EQ(s.snd_cwnd, 21u);
}

TEST(Reno, SsThreshHalvesTheWindowButNotBelowTwo) {
  auto reno = MakeTcpReno();
  TcpCongState s;
  for (auto [cwnd, want] : std::vector<std::pair<uint32_t, uint32_t>>{
           {100, 50}, {101, 50}, {6, 3}, {5, 2}, {4, 2}, {3, 2}, {1, 2}}) {
    s.snd_cwnd = cwnd;
    EXPECT_EQ(reno->SsThresh(s), want) << "cwnd " << cwnd;
  }
}

TEST(Reno, UndoReturnsToTheWindowBeforeTheReduction) {
  auto reno = MakeTcpReno();
  TcpCongState s;
  s.snd_cwnd = 100;
  s.prior_cwnd = s.snd_cwnd;
  s.snd_ssthresh = reno->SsThresh(s);
  s.snd_cwnd = s.snd_ssthresh;
  EXPECT_EQ(reno->UndoCwnd(s), 100u);
  s.snd_cwnd = 120;  // grew past it since: keep the larger
  EXPECT_EQ(reno->UndoCwnd(s), 120u);
}

TEST(Reno, LossHalvesThenGrowsOnePacketPerRtt) {
  AckClock c(MakeTcpReno());
  c.Start(40, 40);
  c.RunFor(Milliseconds(50));
  c.Loss();
  EXPECT_EQ(c.cwnd(), 20u);
  c.RunFor(kRtt);  // the recovery round: no growth
  EXPECT_EQ(c.cwnd(), 20u);
  for (uint32_t want = 21; want <= 25; ++want) {
    c.RunFor(kRtt);
    EXPECT_EQ(c.cwnd(), want);
  }
}

// ---------------------------------------------------------------------------
// The registry.

TEST(CongRegistry, MakesRenoAndCubicByNameAndNothingElse) {
  auto reno = MakeCongestionControl("reno");
  ASSERT_NE(reno, nullptr);
  EXPECT_EQ(reno->name(), "reno");
  auto cubic = MakeCongestionControl("cubic");
  ASSERT_NE(cubic, nullptr);
  EXPECT_EQ(cubic->name(), "cubic");
  EXPECT_EQ(MakeCongestionControl("bbr"), nullptr);
  EXPECT_EQ(MakeCongestionControl("CUBIC"), nullptr);
  EXPECT_EQ(MakeCongestionControl(""), nullptr);
}

TEST(CongRegistry, ListsTheAvailableNamesAsLinuxDoes) {
  std::vector<std::string_view> names(AvailableCongestionControls().begin(),
                                      AvailableCongestionControls().end());
  EXPECT_EQ(names, (std::vector<std::string_view>{"reno", "cubic"}));
  EXPECT_EQ(AvailableCongestionControlsString(), "reno cubic");
  for (std::string_view n : names) {
    auto ca = MakeCongestionControl(n);
    ASSERT_NE(ca, nullptr) << n;
    EXPECT_EQ(ca->name(), n);
  }
}

// ---------------------------------------------------------------------------
// CUBIC: arithmetic.

TEST(Cubic, CubeRootIsWithinLinuxsErrorOfTheTrueOne) {
  EXPECT_EQ(TcpCubicRoot(0), 0u);
  EXPECT_EQ(TcpCubicRoot(1), 1u);
  EXPECT_EQ(TcpCubicRoot(8), 2u);
  EXPECT_EQ(TcpCubicRoot(27), 3u);
  EXPECT_EQ(TcpCubicRoot(64), 4u);
  EXPECT_EQ(TcpCubicRoot(1000000), 100u);
  // Over the range K is computed on (cube_factor * (W_max - cwnd), for
  // differences up to a million packets) the error stays small.
  const uint64_t cube_factor = (uint64_t{1} << 40) / 410;
  double worst = 0, sum = 0;
  int n = 0;
  for (uint64_t d = 1; d < 1000000; d = d * 11 / 10 + 1) {
    const uint64_t a = cube_factor * d;
    const double want = std::cbrt(static_cast<double>(a));
    const double err = std::abs(TcpCubicRoot(a) - want) / want;
    worst = std::max(worst, err);
    sum += err;
    ++n;
  }
  EXPECT_LT(worst, 0.01);
  EXPECT_LT(sum / n, 0.004);
}

TEST(Cubic, CubeRootMatchesLinuxForEveryTableEntry) {
  // Below 64 the table is read directly.
  for (uint64_t a = 1; a < 64; ++a) {
    const uint32_t want = a < 4 ? 1 : a < 16 ? 2 : a < 42 ? 3 : 4;
    EXPECT_EQ(TcpCubicRoot(a), want) << a;
  }
  // i << 60 (i < 16) and i << 57 look up entry i, then take one Newton
  // step. Values from a Python transcription of Linux cubic_root.
  static constexpr uint32_t kWant[56] = {
      2098142, 2183002, 2261074, 2333239, 2402719, 2467508, 2529317, 2589947, 1321423, 1348734,
      1374510, 1400010, 1423517, 1446884, 1469574, 1491640, 1512562, 1534090, 1553931, 1573912,
      1592838, 1611359, 1630077, 1647824, 1664674, 1681753, 1698512, 1714965, 1731646, 1747529,
      1763147, 1778514, 1793639, 1808534, 1823208, 1837108, 1851356, 1864881, 1878731, 1892402,
      1905901, 1918694, 1931849, 1944852, 1957160, 1969854, 1981871, 1994275, 2006557, 2018151,
      2029632, 2041513, 2053289, 2064389, 2075384, 2086807};
  for (uint64_t i = 8; i < 64; ++i) {
    EXPECT_EQ(TcpCubicRoot(i << (i < 16 ? 60 : 57)), kWant[i - 8]) << "entry " << i;
  }
}

TEST(Cubic, SsThreshIsBetaTimesCwndButNotBelowTwo) {
  auto cubic = MakeTcpCubic();
  TcpCongState s;
  for (auto [cwnd, want] : std::vector<std::pair<uint32_t, uint32_t>>{
           {100, 70}, {1000, 700}, {10, 7}, {3, 2}, {2, 2}}) {
    s.snd_cwnd = cwnd;
    EXPECT_EQ(cubic->SsThresh(s), want) << "cwnd " << cwnd;
  }
}

TEST(Cubic, UndoReturnsToTheWindowBeforeTheReduction) {
  auto cubic = MakeTcpCubic();
  TcpCongState s;
  s.snd_cwnd = 100;
  s.prior_cwnd = 100;
  s.snd_ssthresh = cubic->SsThresh(s);
  s.snd_cwnd = s.snd_ssthresh;
  EXPECT_EQ(cubic->UndoCwnd(s), 100u);
}

// ---------------------------------------------------------------------------
// CUBIC: the window curve.

// A loss at W_max = 100 on a 100 ms path, with the RTT already measured.
AckClock CubicAfterLossAt(uint32_t w_max, const CubicParams& p = {}, absl::Duration rtt = kRtt) {
  AckClock c(MakeTcpCubic(p), rtt);
  c.Start(w_max, w_max);
  c.SampleRtt();
  c.Loss();
  return c;
}

TEST(Cubic, LossCutsTheWindowToBeta) {
  AckClock c = CubicAfterLossAt(100);
  EXPECT_EQ(c.cwnd(), 70u);
  EXPECT_EQ(c.s().snd_ssthresh, 70u);
}

TEST(Cubic, WindowFollowsTheCubicCurveBackToWmaxAtK) {
  AckClock c = CubicAfterLossAt(100);
  const double k = CubicK(100, 70);  // 4.216 s
  ASSERT_NEAR(k, 4.216, 0.001);
  // The curve is aimed one RTT ahead and starts with the first ACK after
  // recovery, one RTT after the loss: cwnd(t after the loss) ~ W(t).
  std::vector<std::pair<double, uint32_t>> samples;
  for (int i = 1; i <= 80; ++i) {
    c.RunUntil(kStart + i * kRtt + Milliseconds(50));
    samples.push_back({absl::ToDoubleSeconds(c.now() - kStart), c.cwnd()});
  }
  for (auto [t, cwnd] : samples) {
    if (t < 0.3) continue;  // the recovery round
    EXPECT_NEAR(cwnd, CubicW(t, k, 100), 2.0) << "t=" << t;
  }
  auto at = [&](double t) {
    for (auto [ts, cwnd] : samples) {
      if (ts >= t) return static_cast<int>(cwnd);
    }
    return -1;
  };
  // Back at W_max at K. The curve is within a packet of it for a second
  // or so either side (the plateau), but two seconds earlier it is not.
  EXPECT_NEAR(at(k), 100, 1);
  EXPECT_LT(at(k - 2), 99);
  // Concave before K: each second adds less than the one before ...
  std::vector<int> gains;
  for (double t = 0.25; t + 1 <= k; t += 1) gains.push_back(at(t + 1) - at(t));
  ASSERT_GE(gains.size(), 3u);
  for (size_t i = 1; i < gains.size(); ++i) EXPECT_LT(gains[i], gains[i - 1]) << i;
  // ... convex after: each adds more.
  gains.clear();
  for (double t = k; t + 1 <= 8.0; t += 1) gains.push_back(at(t + 1) - at(t));
  ASSERT_GE(gains.size(), 3u);
  for (size_t i = 1; i < gains.size(); ++i) EXPECT_GT(gains[i], gains[i - 1]) << i;
}

struct Trajectory {
  uint32_t w_max;
  absl::Duration rtt;
  absl::Duration every;  // sampled this often, half an RTT after a burst
  std::vector<uint32_t> cwnd;
};

TEST(Cubic, TrajectoriesMatchAReferenceModelOfLinuxArithmetic) {
  // cwnd after a loss (one ACK per packet, a window's ACKs arriving
  // together), as computed by a separate Python transcription of Linux
  // tcp_cubic.c's integer arithmetic and of this test's ACK clock. The
  // 30.5 ms paths exercise the rounding of the min RTT to jiffies and the
  // Reno estimate's ACK counting.
  const std::vector<Trajectory> cases = {
      {100,
       kRtt,
       Milliseconds(500),
       {80, 87, 92, 96, 98, 100, 100, 100, 100, 100, 100, 102, 104, 108, 115, 121}},
      {50,
       absl::Microseconds(30500),
       absl::Microseconds(30500),
       {35, 36, 36, 38, 38, 38, 38, 38, 40, 40, 40, 40, 40, 42, 42, 42, 42, 42, 45, 45,
        45, 45, 45, 47, 47, 47, 49, 49, 49, 49, 49, 51, 51, 51, 53, 53, 53, 55, 55, 55}},
      {100,
       absl::Microseconds(30500),
       absl::Microseconds(30500),
       {70, 71, 72, 72, 75, 75, 75, 75, 75, 78, 78, 78, 78, 78, 80, 80, 80, 82, 82, 82,
        82, 82, 84, 84, 84, 84, 84, 86, 86, 86, 88, 88, 88, 88, 88, 88, 88, 90, 90, 90}},
  };
  for (const Trajectory& t : cases) {
    SCOPED_TRACE(absl::StrCat("W_max ", t.w_max, " RTT ", absl::FormatDuration(t.rtt)));
    AckClock c = CubicAfterLossAt(t.w_max, {}, t.rtt);
    std::vector<uint32_t> got;
    for (size_t i = 1; i <= t.cwnd.size(); ++i) {
      c.RunUntil(kStart + static_cast<int64_t>(i) * t.every + t.rtt / 2);
      got.push_back(c.cwnd());
    }
    EXPECT_EQ(got, t.cwnd);
  }
}

TEST(Cubic, FastConvergenceLowersWmaxAfterALossBelowIt) {
  // First loss at 1000; a second one a second later, well below W_max.
  // With fast convergence the next plateau is (1 + beta) / 2 of that
  // window; without, the window itself.
  for (bool fc : {true, false}) {
    SCOPED_TRACE(fc ? "fast convergence" : "no fast convergence");
    CubicParams p;
    p.fast_convergence = fc;
    AckClock c = CubicAfterLossAt(1000, p);
    c.RunFor(Seconds(1));
    const uint32_t second_loss_at = c.cwnd();
    ASSERT_LT(second_loss_at, 900u);
    ASSERT_GT(second_loss_at, 750u);
    const absl::Time t2 = c.now();
    c.Loss();
    EXPECT_EQ(c.cwnd(), second_loss_at * 717 / 1024);
    const double w_max = fc ? second_loss_at * (1024.0 + 717) / 2048 : second_loss_at;
    const double k = CubicK(w_max, c.cwnd());
    c.RunUntil(t2 + absl::Seconds(k));
    EXPECT_NEAR(c.cwnd(), w_max, 3);
    // Half a second later the window is still on the plateau.
    c.RunUntil(t2 + absl::Seconds(k + 0.5));
    EXPECT_NEAR(c.cwnd(), w_max, 3);
  }
}

TEST(Cubic, TcpFriendlyRegionGrowsAtLeastAsRenoWithCubicsBeta) {
  // On a 10 ms path the cubic alone needs K = 4.2 s (420 RTTs) to get back
  // to W_max = 100; a Reno flow with CUBIC's beta adds 3(1-b)/(1+b) = 0.53
  // packets per RTT, so it would be far ahead. CUBIC must keep up with it.
  const absl::Duration rtt = Milliseconds(10);
  const double alpha = 3 * (1 - kBeta) / (1 + kBeta);
  AckClock friendly = CubicAfterLossAt(100, {}, rtt);
  CubicParams off;
  off.tcp_friendliness = false;
  AckClock pure = CubicAfterLossAt(100, off, rtt);
  for (int rtts : {50, 100, 200}) {
    friendly.RunUntil(kStart + rtts * rtt + Milliseconds(5));
    pure.RunUntil(kStart + rtts * rtt + Milliseconds(5));
    // From the end of the recovery round; Linux's integer beta_scale (15,
    // not 15.1) and the per-window granularity make it a packet or two off.
    const double reno = 70 + alpha * (rtts - 1);
    EXPECT_GE(friendly.cwnd(), reno - 3) << rtts << " RTTs";
    EXPECT_LE(friendly.cwnd(), reno + 3) << rtts << " RTTs";
    // The pure cubic is on its concave approach, below W_max and behind.
    EXPECT_LT(pure.cwnd(), 100u) << rtts << " RTTs";
    EXPECT_GT(friendly.cwnd(), pure.cwnd() + 5) << rtts << " RTTs";
  }
}

TEST(Cubic, FirstCurveWithoutAnyLossGrowsFivePercentPerRtt) {
  // No loss yet (W_max unknown): the cubic from here is flat, so Linux
  // grows at least one packet per 20 ACKed.
  AckClock c(MakeTcpCubic());
  c.Start(200, 200);
  c.SampleRtt();
  std::vector<uint32_t> per_rtt;
  for (int i = 1; i <= 4; ++i) {
    c.RunUntil(kStart + i * kRtt + Milliseconds(50));
    per_rtt.push_back(c.cwnd());
  }
  EXPECT_EQ(per_rtt, (std::vector<uint32_t>{210, 220, 231, 243}));
}

TEST(Cubic, TxStartAfterIdleShiftsTheEpochSoTheWindowDoesNotJump) {
  // Without the pause: what one more RTT of the curve adds at 1.05 s.
  AckClock ref = CubicAfterLossAt(100);
  ref.RunUntil(kStart + Seconds(1) + Milliseconds(50));
  const uint32_t ref_before = ref.cwnd();
  ref.RunFor(kRtt);
  const uint32_t ref_gain = ref.cwnd() - ref_before;
  ASSERT_GE(ref_gain, 1u);
  for (bool tx_start : {true, false}) {
    SCOPED_TRACE(tx_start ? "with CA_EVENT_TX_START" : "without");
    AckClock c = CubicAfterLossAt(100);
    c.RunUntil(kStart + Seconds(1) + Milliseconds(50));
    const uint32_t before = c.cwnd();
    c.StopWriting();
    c.RunFor(Seconds(10));  // the last flight drains; then idle
    EXPECT_EQ(c.cwnd(), before);
    c.ResumeWriting(tx_start);
    c.RunFor(kRtt + Milliseconds(1));  // one window's ACKs
    if (tx_start) {
      // The curve resumes where it stopped, as if there had been no pause.
      EXPECT_EQ(c.cwnd(), before + ref_gain);
    } else {
      // 11 s into the epoch the target is far above W_max, so growth is
      // at CUBIC's cap of one packet per two ACKed: +50% in the RTT.
      EXPECT_GE(c.cwnd(), before * 3 / 2 - 1);
      EXPECT_LE(c.cwnd(), before * 3 / 2 + 1);
    }
  }
}

TEST(Cubic, IgnoresRttSamplesInTheFirstSecondAfterAReduction) {
  // The min RTT sets how far ahead the curve is aimed. A (bogus) 1 ms
  // sample half a second into the epoch must not change the trajectory;
  // the same sample two seconds in does.
  auto trajectory = [](std::optional<absl::Duration> inject_at) {
    AckClock c = CubicAfterLossAt(100);
    std::vector<uint32_t> out;
    for (int i = 1; i <= 60; ++i) {
      c.RunUntil(kStart + i * kRtt + Milliseconds(50));
      if (inject_at && c.now() - kStart >= *inject_at) {
        c.ca().PktsAcked(c.s(), 0, Milliseconds(1), c.now());
        inject_at.reset();
      }
      out.push_back(c.cwnd());
    }
    return out;
  };
  const std::vector<uint32_t> clean = trajectory(std::nullopt);
  EXPECT_EQ(trajectory(Milliseconds(600)), clean);  // epoch began at 100 ms
  EXPECT_NE(trajectory(Seconds(2)), clean);
}

// ---------------------------------------------------------------------------
// CUBIC: HyStart.

// Drives PktsAcked and CongAvoid directly: one ACK per packet, at chosen
// spacing and with chosen RTT samples, a round being the ACKs for what
// was in flight when it began (HyStart's own rounds line up with these).
class HystartDriver {
 public:
  explicit HystartDriver(uint32_t cwnd, const CubicParams& p = {}) : ca_(MakeTcpCubic(p)) {
    s_.snd_cwnd = cwnd;
    s_.snd_nxt = SeqNum(cwnd);
    s_.mstamp = now_;
    ca_->Init(s_, now_);
  }
  TcpCongState& s() { return s_; }
  CongestionControl& ca() { return *ca_; }
  bool exited() const { return s_.snd_ssthresh != kTcpInfiniteSsthresh; }

  // The round's i-th ACK comes gap(i) after the one before and carries
  // the RTT sample rtt(i). `grow`: also call CongAvoid (in slow start, +1
  // per ACK).
  using PerAck = std::function<absl::Duration(int)>;
  void Round(const PerAck& gap, const PerAck& rtt, bool grow = true) {
    const SeqNum end = s_.snd_nxt;
    for (int i = 0; s_.snd_una < end; ++i) {
      now_ += gap(i);
      s_.mstamp = now_;
      s_.snd_una += 1;
      ca_->PktsAcked(s_, 1, rtt(i), now_);
      if (grow) {
        s_.is_cwnd_limited = true;
        ca_->CongAvoid(s_, 1, now_);
      }
      s_.snd_nxt = SeqNum::Max(s_.snd_nxt, s_.snd_una + s_.snd_cwnd);  // refill
    }
  }
  void Round(absl::Duration gap, const PerAck& rtt, bool grow = true) {
    Round([gap](int) { return gap; }, rtt, grow);
  }
  void Round(absl::Duration gap, absl::Duration rtt, bool grow = true) {
    Round([gap](int) { return gap; }, [rtt](int) { return rtt; }, grow);
  }
  // An RTO: everything in flight is written off and sending restarts from
  // one packet (tcp_enter_loss). `tell_ca`: whether the algorithm hears of
  // the new state (for a test that it matters).
  void Timeout(bool tell_ca = true) {
    s_.prior_cwnd = s_.snd_cwnd;
    s_.snd_ssthresh = ca_->SsThresh(s_);
    s_.snd_nxt = s_.snd_una + 1;
    s_.mstamp = now_;
    if (tell_ca) ca_->SetState(s_, CaState::kLoss);
    s_.snd_cwnd = 1;
  }

 private:
  std::unique_ptr<CongestionControl> ca_;
  TcpCongState s_;
  absl::Time now_ = kStart;
};

// ACKs 3 ms apart never form a train (hystart_ack_delta_us is 2 ms), so
// only the delay test can fire.
constexpr absl::Duration kSparse = absl::Milliseconds(3);

struct DelayCase {
  int delay_min_us;
  int increase_us;
  bool exits;
};

class CubicHystartDelay : public ::testing::TestWithParam<DelayCase> {};

TEST_P(CubicHystartDelay, ExitsSlowStartWhenTheRoundsMinRttRisesByMoreThanTheThreshold) {
  const DelayCase& c = GetParam();
  HystartDriver d(32);
  const absl::Duration base = absl::Microseconds(c.delay_min_us);
  d.Round(kSparse, base);  // sets delay_min
  ASSERT_FALSE(d.exited());
  const uint32_t cwnd_at_round = d.s().snd_cwnd;
  d.Round(kSparse, base + absl::Microseconds(c.increase_us));
  EXPECT_EQ(d.exited(), c.exits);
  if (c.exits) {
    // After 8 samples, on the 9th ACK of the round.
    EXPECT_EQ(d.s().snd_ssthresh, cwnd_at_round + 8);
    EXPECT_EQ(d.s().counters.hystart_delay_detect, 1u);
    EXPECT_EQ(d.s().counters.hystart_delay_cwnd, cwnd_at_round + 8);
    EXPECT_EQ(d.s().counters.hystart_train_detect, 0u);
  }
}

// The threshold is delay_min / 8 clamped to [4, 16] ms, and the round's
// minimum must exceed delay_min by strictly more than that.
INSTANTIATE_TEST_SUITE_P(Thresholds, CubicHystartDelay,
                         ::testing::Values(DelayCase{100000, 12501, true},  // 12.5 ms
                                           DelayCase{100000, 12500, false},
                                           DelayCase{10000, 4001, true},  // floor 4 ms
                                           DelayCase{10000, 4000, false},
                                           DelayCase{200000, 16001, true},  // cap 16 ms
                                           DelayCase{200000, 16000, false}));

TEST(CubicHystart, TheFirstRoundStartsAtInit) {
  // cubictcp_init starts a round: an ACK train beginning right after the
  // connection is established is timed from then. 1 ms ACKs: 51 ms after
  // Init on the 51st.
  HystartDriver d(128);
  d.Round(Milliseconds(1), Milliseconds(100));
  EXPECT_TRUE(d.exited());
  EXPECT_EQ(d.s().snd_ssthresh, 128u + 50);
}

TEST(CubicHystart, DelayTestUsesTheRoundsMinimumAndRestartsEachRound) {
  HystartDriver d(32);
  d.Round(kSparse, Milliseconds(100));
  // One sample at the base RTT among the first of a round of high ones:
  // that round's minimum shows no queue.
  d.Round(kSparse, [](int i) { return i == 3 ? Milliseconds(100) : Milliseconds(130); });
  EXPECT_FALSE(d.exited());
  // The next round starts its minimum afresh.
  const uint32_t cwnd_at_round = d.s().snd_cwnd;
  d.Round(kSparse, Milliseconds(130));
  EXPECT_TRUE(d.exited());
  EXPECT_EQ(d.s().snd_ssthresh, cwnd_at_round + 8);
}

TEST(CubicHystart, NeedsEightSamplesInTheRound) {
  HystartDriver d(32);
  d.Round(kSparse, Milliseconds(100));
  // Eight high samples, then low ones: the test never sees a high minimum.
  d.Round(kSparse, [](int i) { return i < 8 ? Milliseconds(150) : Milliseconds(100); });
  EXPECT_FALSE(d.exited());
}

TEST(CubicHystart, InactiveBelowTheLowWindow) {
  // cwnd 15 < hystart_low_window (16): no exit however the RTT rises.
  HystartDriver small(15);
  small.Round(kSparse, Milliseconds(100), /*grow=*/false);
  small.Round(kSparse, Milliseconds(200), /*grow=*/false);
  small.Round(kSparse, Milliseconds(200), /*grow=*/false);
  EXPECT_FALSE(small.exited());
  HystartDriver at_limit(16);
  at_limit.Round(kSparse, Milliseconds(100), /*grow=*/false);
  at_limit.Round(kSparse, Milliseconds(200), /*grow=*/false);
  EXPECT_TRUE(at_limit.exited());
  EXPECT_EQ(at_limit.s().snd_ssthresh, 16u);
}

TEST(CubicHystart, AckTrainLongerThanHalfTheMinRttExitsSlowStart) {
  HystartDriver d(32);
  d.Round(kSparse, Milliseconds(100));  // delay_min 100 ms; cwnd now 64
  ASSERT_EQ(d.s().snd_cwnd, 64u);
  // ACKs 1 ms apart: the train passes 50 ms on the round's 52nd ACK.
  d.Round(Milliseconds(1), Milliseconds(100));
  ASSERT_TRUE(d.exited());
  EXPECT_EQ(d.s().snd_ssthresh, 64u + 51);
  EXPECT_EQ(d.s().counters.hystart_train_detect, 1u);
  EXPECT_EQ(d.s().counters.hystart_train_cwnd, 64u + 51);
  EXPECT_EQ(d.s().counters.hystart_delay_detect, 0u);
  // Out of slow start, cwnd grows by CUBIC's rules: far slower.
  EXPECT_LT(d.s().snd_cwnd, 64u + 51 + 10);
}

TEST(CubicHystart, AGapInTheAckTrainEndsItForTheRound) {
  HystartDriver d(32);
  d.Round(kSparse, Milliseconds(100));
  // 64 ACKs 1 ms apart (65 ms in all) but for one 3 ms gap after 30 ms:
  // the train ends there, and nothing later in the round restarts it.
  d.Round([](int i) { return i == 30 ? Milliseconds(3) : Milliseconds(1); },
          [](int) { return Milliseconds(100); });
  EXPECT_FALSE(d.exited());
  // The next round's train is whole again.
  const uint32_t cwnd_at_round = d.s().snd_cwnd;
  d.Round(Milliseconds(1), Milliseconds(100));
  EXPECT_TRUE(d.exited());
  EXPECT_EQ(d.s().snd_ssthresh, cwnd_at_round + 51);
}

TEST(CubicHystart, AckSpacingUpToTwoMillisecondsStillMakesATrain) {
  HystartDriver d(32);
  d.Round(kSparse, Milliseconds(100));
  // 2 ms apart (hystart_ack_delta_us, inclusive): past 50 ms on the 27th.
  const uint32_t cwnd_at_round = d.s().snd_cwnd;
  d.Round(Milliseconds(2), Milliseconds(100));
  EXPECT_TRUE(d.exited());
  EXPECT_EQ(d.s().snd_ssthresh, cwnd_at_round + 26);
  EXPECT_EQ(d.s().counters.hystart_train_detect, 1u);
}

TEST(CubicHystart, PacedFlowsNeedATrainOfTheWholeMinRtt) {
  HystartDriver d(32);
  d.s().pacing = true;
  d.Round(kSparse, Milliseconds(100));
  d.Round(Milliseconds(1), Milliseconds(100));  // 64 ACKs: a 63 ms train
  EXPECT_FALSE(d.exited());
  const uint32_t cwnd_at_round = d.s().snd_cwnd;
  d.Round(Milliseconds(1), Milliseconds(100));  // passes 100 ms on its 102nd ACK
  EXPECT_TRUE(d.exited());
  EXPECT_EQ(d.s().snd_ssthresh, cwnd_at_round + 101);
}

TEST(CubicHystart, TimeoutResetsItSoTheNextSlowStartCanExitEarlyAgain) {
  for (bool reset_by_loss_state : {true, false}) {
    SCOPED_TRACE(reset_by_loss_state ? "SetState(kLoss)" : "no state change");
    HystartDriver d(32);
    d.Round(kSparse, Milliseconds(100));
    d.Round(Milliseconds(1), Milliseconds(100));
    ASSERT_EQ(d.s().counters.hystart_train_detect, 1u);
    d.Timeout(/*tell_ca=*/reset_by_loss_state);
    const uint32_t ssthresh = d.s().snd_ssthresh;
    while (d.s().snd_cwnd < 16) d.Round(kSparse, Milliseconds(100));
    const uint32_t cwnd_at_round = d.s().snd_cwnd;
    ASSERT_LT(cwnd_at_round + 8, ssthresh);
    d.Round(kSparse, Milliseconds(130));
    if (reset_by_loss_state) {
      EXPECT_EQ(d.s().counters.hystart_delay_detect, 1u);
      EXPECT_EQ(d.s().snd_ssthresh, cwnd_at_round + 8);
    } else {
      // Linux keeps `found` until a timeout: no second early exit.
      EXPECT_EQ(d.s().counters.hystart_delay_detect, 0u);
      EXPECT_EQ(d.s().snd_ssthresh, ssthresh);
    }
  }
}

TEST(CubicHystart, OnABottleneckSlowStartEndsNearTheBdpWithoutALoss) {
  // 1 packet/ms bottleneck, 100 ms base RTT: a BDP of 100 packets and an
  // unlimited queue, so nothing but HyStart can end slow start.
  AckClock with(MakeTcpCubic(), kRtt, Milliseconds(1));
  with.Start(kTcpInitCwnd);
  with.RunFor(Seconds(3));
  EXPECT_NE(with.s().snd_ssthresh, kTcpInfiniteSsthresh);
  EXPECT_GE(with.s().snd_ssthresh, 50u);
  EXPECT_LE(with.s().snd_ssthresh, 250u);
  EXPECT_EQ(with.s().counters.hystart_train_detect + with.s().counters.hystart_delay_detect, 1u);

  CubicParams off;
  off.hystart = false;
  AckClock without(MakeTcpCubic(off), kRtt, Milliseconds(1));
  without.Start(kTcpInitCwnd);
  without.RunFor(Seconds(3));
  EXPECT_EQ(without.s().snd_ssthresh, kTcpInfiniteSsthresh);
  EXPECT_GT(without.cwnd(), 4 * with.cwnd());
}

}  // namespace
}  // namespace usnet
