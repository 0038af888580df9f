// TCP timers as packet scripts in virtual time, with Linux 6.x's values
// (tcp_timer.c, inet_connection_sock.c reqsk_timer_handler, tcp_metrics.c):
// RTO and its doubling backoff (SYN, SYN-ACK, data), delayed ACK and quick
// ACK, the persist timer's zero-window probes, keepalive, TIME_WAIT and the
// FIN_WAIT2 orphan timeout.
//
// The peer (ISN 1000) offers MSS 1460, SACK and window scale 7 but no
// timestamps unless a test says otherwise; our window is then 502 (64256 >> 7).
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <string>

#include "gtest/gtest.h"
#include "net/ipv4/tcp.h"
#include "tests/support/tcp_script.h"

namespace usnet {
namespace {

using namespace testing;  // NOLINT

constexpr uint32_t kPeerIsn = 1000;
constexpr uint16_t kWin = 502;

TcpOptions NoTs() { return SynOpts(1460, 7, true, false); }

// A passive open whose handshake ACK comes `rtt_ms` after our SYN-ACK, so
// the connection starts with srtt = rtt and RTO = rtt + max(2 rtt, 200 ms)
// (tcp_synack_rtt_meas, tcp_rtt_estimator's first sample). `peer_win` is
// the window the ACK offers (unscaled value; the peer's scale is 7).
int EstablishWithRtt(TcpScript& s, int64_t rtt_ms, uint16_t peer_win = 65535) {
  const int l = s.Listen(8080);
  s.Inject(0, {.flags = kS, .seq = kPeerIsn, .opts = NoTs()});
  s.Expect(0, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1, .win = 64240});
  s.Inject(rtt_ms, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1, .win = peer_win});
  const int fd = s.Accept(l);
  EXPECT_GE(fd, 0);
  return fd;
}

// ---------------------------------------------------------------------------
// Retransmission timer (RFC 6298, Linux tcp_retransmit_timer).

TEST(TcpTimers, SynRetransmitsLinearlyFourTimesThenDoublesThenGivesUp) {
  TcpScript s;
  const int fd = s.ConnectSyn();
  // tcp_syn_linear_timeouts = 4: the initial 1 s RTO four times, then
  // doubling; tcp_syn_retries = 6 more; then ETIMEDOUT.
  for (int64_t t : {1000, 2000, 3000, 4000, 5000, 7000, 11000, 19000, 35000, 67000}) {
    s.Expect(t, {.flags = kS, .seq = 0, .win = 64240, .opts = SynOpts()});
  }
  s.ExpectNothing(130999);
  EXPECT_EQ(s.State(fd), TcpState::kSynSent);
  s.RunTo(131000);
  EXPECT_EQ(s.State(fd), TcpState::kClose);
  EXPECT_EQ(s.SoError(fd), ETIMEDOUT);
  s.ExpectNothing(200000);
  EXPECT_EQ(s.host.tcp().ext[TcpExtMib::kTCPSynRetrans], 10u);
}

TEST(TcpTimers, SynAckRetransmitsAt1_2_4_8_16sThenTheRequestIsDropped) {
  TcpScript s;
  const int l = s.Listen(8080);
  s.Inject(0, {.flags = kS, .seq = kPeerIsn, .opts = NoTs()});
  s.Expect(0, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1, .win = 64240});
  for (int64_t t : {1000, 3000, 7000, 15000, 31000}) {  // tcp_synack_retries = 5
    s.Expect(
        t,
        {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1, .win = 64240, .opts = SynAckOptsFor(NoTs())});
  }
  s.ExpectNothing(63000);  // the sixth expiry drops the request
  s.Inject(63001, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1});
  s.Expect(63001, {.flags = kR, .seq = 1});
  EXPECT_LT(s.Accept(l), 0);
}

TEST(TcpTimers, DataRtoDoublesFromTheMeasuredRtoAndResendsTheSameSegment) {
  TcpScript s;
  const int fd = EstablishWithRtt(s, 100);  // RTO = 100 + 200 = 300 ms
  ASSERT_EQ(s.Write(fd, "hello"), 5);
  const Seg data{.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .win = kWin, .data = "hello"};
  s.Expect(100, data);
  for (int64_t t : {400, 1000, 2200, 4600, 9400, 19000}) s.Expect(t, data);
  // The ACK stops the timer; nothing more goes.
  s.Inject(19050, {.flags = kA, .seq = kPeerIsn + 1, .ack = 6});
  s.ExpectNothing(60000);
  EXPECT_EQ(s.host.tcp().mib[TcpMib::kRetransSegs], 6u);
  EXPECT_EQ(s.host.tcp().ext[TcpExtMib::kTCPTimeouts], 6u);
}

TEST(TcpTimers, RtoFallsBackTo3sWhenTheHandshakeGaveNoRttSample) {
  TcpScript s;
  const int l = s.Listen(8080);
  s.Inject(0, {.flags = kS, .seq = kPeerIsn, .opts = NoTs()});
  s.Expect(0, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1});
  s.Expect(1000, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1});
  // The ACK after a resent SYN-ACK is no RTT sample (Karn, no timestamps):
  // tcp_init_metrics sets RTO to TCP_TIMEOUT_FALLBACK (3 s).
  s.Inject(1010, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1});
  const int fd = s.Accept(l);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(s.Write(fd, "x"), 1);
  const Seg data{.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .data = "x"};
  s.Expect(1010, data);
  s.Expect(4010, data);
  s.Expect(10010, data);
}

TEST(TcpTimers, RtoRetransmitsOnlyTheHeadAndRestartsSlowStart) {
  TcpScript s;
  const int fd = EstablishWithRtt(s, 100);
  ASSERT_EQ(s.SetIntOpt(fd, IPPROTO_TCP, TCP_NODELAY, 1), 0);
  ASSERT_EQ(s.Write(fd, "aaaa"), 4);
  ASSERT_EQ(s.Write(fd, "bbbb"), 4);
  s.Expect(100, {.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .data = "aaaa"});
  s.Expect(100, {.flags = kPA, .seq = 5, .ack = kPeerIsn + 1, .data = "bbbb"});
  // tcp_retransmit_timer resends the head only; cwnd is 1 in loss state.
  s.Expect(400, {.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .data = "aaaa"});
  s.Inject(420, {.flags = kA, .seq = kPeerIsn + 1, .ack = 5});
  // Slow start: the ACK of one segment lets the next (and only) one go.
  s.Expect(420, {.flags = kPA, .seq = 5, .ack = kPeerIsn + 1, .data = "bbbb"});
}

// ---------------------------------------------------------------------------
// Delayed ACK (tcp_send_delayed_ack, TCP_ATO_MIN 40 ms) and quick ACKs.

// The peer sends `n` 10-byte segments 100 ms apart from `t0`; the first 16
// are ACKed at once (tcp_incr_quickack: min(rcv_wnd / 2 rcv_mss, 16)).
void SixteenQuickAcks(TcpScript& s, int64_t t0, uint32_t* next_seq) {
  for (int i = 0; i < 16; ++i) {
    const int64_t t = t0 + 100 * i;
    s.Inject(t, {.flags = kPA, .seq = *next_seq, .ack = 1, .len = 10});
    *next_seq += 10;
    s.Expect(t, {.flags = kA, .seq = 1, .ack = *next_seq, .win = kWin});
  }
}

TEST(TcpTimers, DelayedAckWaits40msOnceQuickAcksAreUsedUp) {
  TcpScript s;
  const int fd = s.AcceptOne(0, NoTs(), kPeerIsn);
  uint32_t seq = kPeerIsn + 1;
  SixteenQuickAcks(s, 100, &seq);
  s.Inject(1700, {.flags = kPA, .seq = seq, .ack = 1, .len = 10});
  seq += 10;
  s.Expect(1740, {.flags = kA, .seq = 1, .ack = seq, .win = kWin});
  EXPECT_EQ(s.host.tcp().ext[TcpExtMib::kDelayedACKs], 1u);
  EXPECT_EQ(s.Read(fd).size(), 170u);
}

TEST(TcpTimers, QuickackSendsThePendingDelayedAckAtOnce) {
  TcpScript s;
  const int fd = s.AcceptOne(0, NoTs(), kPeerIsn);
  uint32_t seq = kPeerIsn + 1;
  SixteenQuickAcks(s, 100, &seq);
  s.Inject(1700, {.flags = kPA, .seq = seq, .ack = 1, .len = 10});
  seq += 10;
  EXPECT_EQ(s.Read(fd).size(), 170u);
  ASSERT_EQ(s.SetIntOpt(fd, IPPROTO_TCP, TCP_QUICKACK, 1), 0);
  s.Expect(1700, {.flags = kA, .seq = 1, .ack = seq, .win = kWin});
  s.ExpectNothing(2000);  // and no delayed ACK later
}

// ---------------------------------------------------------------------------
// Persist timer: zero-window probes (tcp_probe_timer, tcp_send_probe0).

TEST(TcpTimers, ZeroWindowProbesBackOffAndTheDataGoesWhenTheWindowOpens) {
  TcpScript s;
  const int fd = EstablishWithRtt(s, 100, /*peer_win=*/0);  // RTO 300 ms
  ASSERT_EQ(s.Write(fd, "hello"), 5);
  // Probes (an ACK with the byte before SND.UNA) at RTO, then doubling.
  const Seg probe{.flags = kA, .seq = 0, .ack = kPeerIsn + 1, .win = kWin, .len = 0};
  for (int64_t t : {400, 1000, 2200, 4600}) s.Expect(t, probe);
  EXPECT_EQ(s.host.tcp().ext[TcpExtMib::kTCPWinProbe], 4u);
  s.Inject(5000, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1, .win = 100});
  s.Expect(5000, {.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .data = "hello"});
  s.Inject(5100, {.flags = kA, .seq = kPeerIsn + 1, .ack = 6, .win = 100});
  s.ExpectNothing(20000);
}

TEST(TcpTimers, ZeroWindowAnswerRestartsTheProbeTimer) {
  TcpScript s;
  const int fd = EstablishWithRtt(s, 100, 0);
  ASSERT_EQ(s.Write(fd, "hello"), 5);
  const Seg probe{.flags = kA, .seq = 0, .ack = kPeerIsn + 1};
  s.Expect(400, probe);
  // The window is still closed: tcp_ack_probe re-arms from now with the
  // backed-off interval (600 ms).
  s.Inject(450, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1, .win = 0});
  s.Expect(1050, probe);
}

TEST(TcpTimers, WindowTooSmallForTheSegmentIsProbedWithWhatFits) {
  TcpScript s;
  const int l = s.Listen(8080);
  s.Inject(0, {.flags = kS, .seq = kPeerIsn, .opts = SynOpts(1460, std::nullopt, true, false)});
  s.Expect(0, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1, .win = 64240});
  s.Inject(100, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1, .win = 500});  // RTO 300 ms
  const int fd = s.Accept(l);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(s.Write(fd, 1000), 1000);  // 1000 bytes do not fit 500: held
  // The persist timer's probe (tcp_write_wakeup) sends the 500 that fit.
  s.Expect(400, {.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .win = 64240, .len = 500});
  s.Inject(450, {.flags = kA, .seq = kPeerIsn + 1, .ack = 501, .win = 500});
  s.Expect(450, {.flags = kPA, .seq = 501, .ack = kPeerIsn + 1, .len = 500});
  s.Inject(500, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1001, .win = 500});
  s.ExpectNothing(10000);
}

// ---------------------------------------------------------------------------
// Keepalive (tcp_keepalive_timer): 7200 s idle, then 9 probes 75 s apart.

TEST(TcpTimers, KeepaliveDefaultsProbe9TimesThenReset) {
  TcpScript s;
  const int fd = s.AcceptOne(0, NoTs(), kPeerIsn);
  ASSERT_EQ(s.SetIntOpt(fd, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
  const Seg probe{.flags = kA, .seq = 0, .ack = kPeerIsn + 1, .win = kWin, .len = 0};
  for (int i = 0; i < 9; ++i) s.Expect(7200000 + 75000 * i, probe);
  // The tenth expiry finds 9 unanswered probes: RST, ETIMEDOUT.
  s.Expect(7875000, {.flags = kRA, .seq = 1, .ack = kPeerIsn + 1, .win = kWin});
  EXPECT_EQ(s.State(fd), TcpState::kClose);
  EXPECT_EQ(s.SoError(fd), ETIMEDOUT);
  EXPECT_EQ(s.host.tcp().ext[TcpExtMib::kTCPKeepAlive], 9u);
  s.ExpectNothing(8000000);
}

TEST(TcpTimers, KeepaliveFollowsKeepidleKeepintvlKeepcnt) {
  TcpScript s;
  const int fd = s.AcceptOne(0, NoTs(), kPeerIsn);
  ASSERT_EQ(s.SetIntOpt(fd, IPPROTO_TCP, TCP_KEEPIDLE, 10), 0);
  ASSERT_EQ(s.SetIntOpt(fd, IPPROTO_TCP, TCP_KEEPINTVL, 5), 0);
  ASSERT_EQ(s.SetIntOpt(fd, IPPROTO_TCP, TCP_KEEPCNT, 3), 0);
  ASSERT_EQ(s.SetIntOpt(fd, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
  const Seg probe{.flags = kA, .seq = 0, .ack = kPeerIsn + 1, .len = 0};
  s.Expect(10000, probe);
  // An answer resets the count and the idle time: the next probe comes
  // KEEPIDLE after it.
  s.Inject(10001, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1});
  s.Expect(20001, probe);
  s.Expect(25001, probe);
  s.Expect(30001, probe);
  s.Expect(35001, {.flags = kRA, .seq = 1, .ack = kPeerIsn + 1});
  EXPECT_EQ(s.SoError(fd), ETIMEDOUT);
}

TEST(TcpTimers, KeepaliveIdleCountsFromTheLastSegmentReceived) {
  TcpScript s;
  const int fd = s.AcceptOne(0, NoTs(), kPeerIsn);
  ASSERT_EQ(s.SetIntOpt(fd, IPPROTO_TCP, TCP_KEEPIDLE, 10), 0);
  ASSERT_EQ(s.SetIntOpt(fd, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
  s.Inject(4000, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 1, .data = "hi"});
  s.Expect(4000, {.flags = kA, .seq = 1, .ack = kPeerIsn + 3});
  // At 10 s the connection was idle only 6 s: the timer waits 4 s more.
  s.Expect(14000, {.flags = kA, .seq = 0, .ack = kPeerIsn + 3, .len = 0});
}

// ---------------------------------------------------------------------------
// TIME_WAIT (TCP_TIMEWAIT_LEN) and FIN_WAIT2 orphans (tcp_fin_timeout).

// The one TIME_WAIT (or FIN_WAIT2) mini socket lives until `t_ms` exactly.
void ExpectTimewaitEndsAt(TcpScript& s, int64_t t_ms) {
  s.RunTo(t_ms - 1);
  EXPECT_EQ(s.host.tcp().timewait_count(), 1u) << "at " << t_ms - 1 << " ms";
  s.RunTo(t_ms);
  EXPECT_EQ(s.host.tcp().timewait_count(), 0u) << "at " << t_ms << " ms";
}

TEST(TcpTimers, TimeWaitLasts60s) {
  TcpScript s;
  const int fd = s.AcceptOne(0, NoTs(), kPeerIsn);
  ASSERT_EQ(s.Close(fd), 0);
  s.Expect(0, {.flags = kFA, .seq = 1, .ack = kPeerIsn + 1});
  s.Inject(10, {.flags = kFA, .seq = kPeerIsn + 1, .ack = 2});
  s.Expect(10, {.flags = kA, .seq = 2, .ack = kPeerIsn + 2});
  ExpectTimewaitEndsAt(s, 60010);
  // Gone: the peer's late FIN meets no socket and gets a reset.
  s.Inject(61000, {.flags = kFA, .seq = kPeerIsn + 1, .ack = 2});
  s.Expect(61000, {.flags = kR, .seq = 2, .win = 0});
}

// close() at 0 and the peer ACKs our FIN at 10: an orphan in FIN_WAIT2.
void OrphanInFinWait2(TcpScript& s, int fd) {
  ASSERT_EQ(s.Close(fd), 0);
  s.Expect(0, {.flags = kFA, .seq = 1, .ack = kPeerIsn + 1});
  s.Inject(10, {.flags = kA, .seq = kPeerIsn + 1, .ack = 2});
}

TEST(TcpTimers, FinWait2OrphanTimesOutAfterTcpFinTimeout) {
  TcpScript s;
  OrphanInFinWait2(s, s.AcceptOne(0, NoTs(), kPeerIsn));
  ExpectTimewaitEndsAt(s, 60010);  // a FIN_WAIT2 mini socket until then
  s.ExpectNothing(60010);  // it goes silently
  s.Inject(61000, {.flags = kFA, .seq = kPeerIsn + 1, .ack = 2});
  s.Expect(61000, {.flags = kR, .seq = 2});
}

TEST(TcpTimers, FinWait2OrphanFollowsTcpLinger2) {
  TcpScript s;
  const int fd = s.AcceptOne(0, NoTs(), kPeerIsn);
  ASSERT_EQ(s.SetIntOpt(fd, IPPROTO_TCP, TCP_LINGER2, 5), 0);
  OrphanInFinWait2(s, fd);
  ExpectTimewaitEndsAt(s, 5010);
}

TEST(TcpTimers, FinWait2OrphanAnswersTheFinWithTimeWait) {
  TcpScript s;
  OrphanInFinWait2(s, s.AcceptOne(0, NoTs(), kPeerIsn));
  s.Inject(3000, {.flags = kFA, .seq = kPeerIsn + 1, .ack = 2});
  s.Expect(3000, {.flags = kA, .seq = 2, .ack = kPeerIsn + 2, .win = kWin});
  // Now a real TIME_WAIT: 60 s from the FIN.
  ExpectTimewaitEndsAt(s, 63000);
}

TEST(TcpTimers, FinWait2OrphanResetsNewData) {
  TcpScript s;
  OrphanInFinWait2(s, s.AcceptOne(0, NoTs(), kPeerIsn));
  // Nobody will read it (tcp_timewait_state_process: TCP_TW_RST).
  s.Inject(3000, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 2, .data = "late"});
  s.Expect(3000, {.flags = kR, .seq = 2, .win = 0});
  EXPECT_EQ(s.host.tcp().timewait_count(), 0u);
}

}  // namespace
}  // namespace usnet
