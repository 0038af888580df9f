// The congestion control interface's shared pieces (Linux tcp_cong.c): the
// slow start and additive increase helpers every algorithm builds on, Reno
// itself, and the by-name registry.
#include "net/ipv4/tcp_cong.h"

#include <algorithm>
#include <array>
#include <type_traits>

namespace usnet {

void CongestionControl::Init(TcpCongState&, absl::Time) {}
void CongestionControl::SetState(TcpCongState&, CaState) {}
void CongestionControl::CwndEvent(TcpCongState&, CaEvent, absl::Time) {}
void CongestionControl::PktsAcked(TcpCongState&, uint32_t, std::optional<absl::Duration>,
                                  absl::Time) {}

bool TcpIsCwndLimited(const TcpCongState& s) {
  if (s.is_cwnd_limited) return true;
  // Linux tcp_is_cwnd_limited: slow start may double what was in flight
  // even when the application, not cwnd, set the pace.
  if (TcpInSlowStart(s)) return s.snd_cwnd < 2 * s.max_packets_out;
  return false;
}

uint32_t TcpSlowStart(TcpCongState& s, uint32_t acked) {
  // Each ACKed packet adds one, up to ssthresh (a stretch ACK counts as
  // that many ACKs). What ssthresh cuts off is returned, measured before
  // the clamp as Linux does.
  const uint32_t cwnd = std::min(s.snd_cwnd + acked, s.snd_ssthresh);
  acked -= cwnd - s.snd_cwnd;
  s.snd_cwnd = std::min(cwnd, s.snd_cwnd_clamp);
  return acked;
}

void TcpCongAvoidAi(TcpCongState& s, uint32_t w, uint32_t acked) {
  // Credit earned while w was larger (say before a reduction) buys one
  // packet now, not a burst.
  if (s.snd_cwnd_cnt >= w) {
    s.snd_cwnd_cnt = 0;
    s.snd_cwnd++;
  }
  s.snd_cwnd_cnt += acked;
  if (s.snd_cwnd_cnt >= w) {
    const uint32_t delta = s.snd_cwnd_cnt / w;
    s.snd_cwnd_cnt -= delta * w;
    s.snd_cwnd += delta;
  }
  s.snd_cwnd = std::min(s.snd_cwnd, s.snd_cwnd_clamp);
}

void TcpRenoCongAvoid(TcpCongState& s, uint32_t acked) {
  // Jacobson's slow start and congestion avoidance (Linux
  // tcp_reno_cong_avoid; RFC 5681 3.1).
  if (!TcpIsCwndLimited(s)) return;
  if (TcpInSlowStart(s)) {
    acked = TcpSlowStart(s, acked);
    if (acked == 0) return;
  }
  TcpCongAvoidAi(s, s.snd_cwnd, acked);
}

uint32_t TcpRenoSsThresh(const TcpCongState& s) { return std::max(s.snd_cwnd >> 1, 2u); }

uint32_t TcpRenoUndoCwnd(const TcpCongState& s) { return std::max(s.snd_cwnd, s.prior_cwnd); }

namespace {

// Linux struct tcp_congestion_ops tcp_reno: the fallback every kernel has.
class TcpReno final : public CongestionControl {
 public:
  std::string_view name() const override { return "reno"; }
  uint32_t SsThresh(TcpCongState& s) override { return TcpRenoSsThresh(s); }
  void CongAvoid(TcpCongState& s, uint32_t acked, absl::Time) override {
    TcpRenoCongAvoid(s, acked);
  }
  uint32_t UndoCwnd(TcpCongState& s) override { return TcpRenoUndoCwnd(s); }
};
static_assert(!std::is_abstract_v<TcpReno>, "TcpReno must implement every required op");

constexpr std::array<std::string_view, 2> kAvailable = {"reno", "cubic"};

}  // namespace

std::unique_ptr<CongestionControl> MakeTcpReno() { return std::make_unique<TcpReno>(); }

std::unique_ptr<CongestionControl> MakeCongestionControl(std::string_view name) {
  // Linux tcp_ca_find: exact, case-sensitive match.
  if (name == "reno") return MakeTcpReno();
  if (name == "cubic") return MakeTcpCubic();
  return nullptr;
}

std::span<const std::string_view> AvailableCongestionControls() { return kAvailable; }

std::string AvailableCongestionControlsString() {
  std::string out;
  for (std::string_view n : kAvailable) {
    if (!out.empty()) out += ' ';
    out += n;
  }
  return out;
}

}  // namespace usnet
