// RFC 9293 section 3.10.7 "SEGMENT ARRIVES", one packet script per rule,
// with the exact segments Linux 6.x sends in answer (tcp_v4_rcv,
// tcp_rcv_state_process, tcp_validate_incoming, tcp_ack, tcp_data_queue,
// tcp_check_req, tcp_timewait_state_process), plus RFC 5961's challenge
// ACKs.
//
// Unless a test says otherwise the peer (10.0.0.1:40000, ISN 1000) offers
// MSS 1460, SACK and window scale 7 but no timestamps, so our segments carry
// no options to track; our window is then 64240 rounded up to the scale
// unit: 64256 >> 7 = 502.
#include <sys/socket.h>

#include <initializer_list>
#include <utility>

#include "gtest/gtest.h"
#include "net/ipv4/tcp.h"
#include "syscalls/socket_api.h"
#include "tests/support/tcp_script.h"

namespace usnet {
namespace {

using namespace testing;  // NOLINT

constexpr uint32_t kPeerIsn = 1000;
constexpr uint16_t kWin = 502;  // our window after the handshake, scaled by 7

TcpOptions NoTs() { return SynOpts(1460, 7, true, false); }

TcpOptions Sacks(std::initializer_list<std::pair<uint32_t, uint32_t>> blocks) {
  TcpOptions o;
  for (auto [a, b] : blocks) o.sack[o.num_sack++] = SackBlock{SeqNum(a), SeqNum(b)};
  return o;
}

// An ESTABLISHED passive connection at t = 0 (peer's next byte 1001, ours 1).
int Establish(TcpScript& s) {
  const int fd = s.AcceptOne(0, NoTs(), kPeerIsn);
  EXPECT_GE(fd, 0);
  return fd;
}

// The peer sends a FIN at `t` and we ACK it at once: CLOSE_WAIT.
void PeerFin(TcpScript& s, int64_t t, uint32_t seq = kPeerIsn + 1, uint32_t ack = 1) {
  s.Inject(t, {.flags = kFA, .seq = seq, .ack = ack});
  s.Expect(t, {.flags = kA, .seq = ack, .ack = seq + 1, .win = kWin});
}

// We shut down writing (SHUT_WR, or close() when `close`) at the current
// time: our FIN goes at once.
void OurFin(TcpScript& s, int fd, bool close) {
  ASSERT_EQ(close ? s.Close(fd) : s.Shutdown(fd, SHUT_WR), 0);
  s.Expect(s.now_ms(), {.flags = kFA, .seq = 1, .ack = kPeerIsn + 1, .win = kWin});
}

// close() at 0, the peer's FIN acknowledging ours at 10, our ACK: TIME_WAIT.
void ToTimeWait(TcpScript& s, int fd) {
  OurFin(s, fd, true);
  s.Inject(10, {.flags = kFA, .seq = kPeerIsn + 1, .ack = 2});
  s.Expect(10, {.flags = kA, .seq = 2, .ack = kPeerIsn + 2, .win = kWin});
  EXPECT_EQ(s.host.tcp().timewait_count(), 1u);
}

// ---------------------------------------------------------------------------
// CLOSED (no socket): RFC 9293 3.10.7.1, Linux tcp_v4_send_reset.

TEST(TcpRfc9293, Closed_SynGetsRstAckWithSeqZero) {
  TcpScript s;
  s.Inject(0, {.flags = kS, .seq = 7000, .opts = SynOpts(), .dport = 9999});
  // No ACK in the segment: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
  s.Expect(0, {.flags = kRA, .seq = 0, .ack = 7001, .win = 0, .opts = TcpOptions{}});
  EXPECT_EQ(s.host.tcp().mib[TcpMib::kOutRsts], 1u);
  s.ExpectNothing(3000);
}

TEST(TcpRfc9293, Closed_AckGetsRstWithSeqFromAck) {
  TcpScript s;
  s.Inject(0, {.flags = kPA, .seq = 7000, .ack = 123456, .len = 10, .dport = 9999});
  // <SEQ=SEG.ACK><CTL=RST>: no ACK bit.
  s.Expect(0, {.flags = kR, .seq = 123456, .win = 0, .opts = TcpOptions{}});
  s.ExpectNothing(1000);
}

TEST(TcpRfc9293, Closed_DataAndFinWithoutAckAreCountedInTheRstAck) {
  TcpScript s;
  s.Inject(0, {.flags = kF, .seq = 7000, .len = 10, .dport = 9999});
  s.Expect(0, {.flags = kRA, .seq = 0, .ack = 7011, .win = 0});
}

TEST(TcpRfc9293, Closed_RstIsDroppedSilently) {
  TcpScript s;
  s.Inject(0, {.flags = kR, .seq = 7000, .dport = 9999});
  s.Inject(1, {.flags = kRA, .seq = 7000, .ack = 5, .dport = 9999});
  s.ExpectNothing(1000);
  EXPECT_EQ(s.host.tcp().mib[TcpMib::kOutRsts], 0u);
}

TEST(TcpRfc9293, Closed_BoundSocketThatIsNotListeningResets) {
  TcpScript s;
  const int fd = s.Socket();
  {
    ProcessScope in(s.proc);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(8080);
    ASSERT_EQ(sys::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  }
  s.Inject(0, {.flags = kS, .seq = 7000, .opts = SynOpts()});
  s.Expect(0, {.flags = kRA, .seq = 0, .ack = 7001, .win = 0});
}

// ---------------------------------------------------------------------------
// LISTEN: RFC 9293 3.10.7.2, Linux tcp_rcv_state_process TCP_LISTEN.

TEST(TcpRfc9293, Listen_RstIsIgnored) {
  TcpScript s;
  const int l = s.Listen(8080);
  s.Inject(0, {.flags = kR, .seq = 7000});
  s.Inject(1, {.flags = kRA, .seq = 7000, .ack = 1});
  s.ExpectNothing(1000);
  EXPECT_LT(s.Accept(l), 0);
}

TEST(TcpRfc9293, Listen_AckGetsRstWithSeqFromAck) {
  TcpScript s;
  s.Listen(8080);
  s.Inject(0, {.flags = kA, .seq = 7000, .ack = 4242});
  s.Expect(0, {.flags = kR, .seq = 4242, .win = 0});
  s.ExpectNothing(1000);
}

TEST(TcpRfc9293, Listen_SynFinIsDropped) {
  TcpScript s;
  s.Listen(8080);
  s.Inject(0, {.flags = kS | kF, .seq = 7000, .opts = SynOpts()});
  s.ExpectNothing(3000);
}

TEST(TcpRfc9293, Listen_SegmentWithoutSynAckOrRstIsDropped) {
  TcpScript s;
  s.Listen(8080);
  s.Inject(0, {.flags = kF, .seq = 7000});
  s.Inject(1, {.flags = kP, .seq = 7000, .len = 5});
  s.ExpectNothing(3000);
}

TEST(TcpRfc9293, Listen_SynWithDataAcknowledgesOnlyTheSyn) {
  TcpScript s;
  const int l = s.Listen(8080);
  // Without TCP Fast Open the data is not kept: the SYN-ACK acks the SYN.
  s.Inject(0, {.flags = kS, .seq = kPeerIsn, .data = "early", .opts = NoTs()});
  s.Expect(
      0,
      {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1, .win = 64240, .opts = SynAckOptsFor(NoTs())});
  s.Inject(10, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1});
  const int fd = s.Accept(l);
  ASSERT_GE(fd, 0);
  int err = 0;
  EXPECT_EQ(s.Read(fd, &err), "");
  EXPECT_EQ(err, EAGAIN);
}

// ---------------------------------------------------------------------------
// SYN-SENT: RFC 9293 3.10.7.3, Linux tcp_rcv_synsent_state_process.

TEST(TcpRfc9293, SynSent_AckOfIssGetsRst) {
  TcpScript s;
  s.ConnectSyn();
  // SEG.ACK =< ISS: <SEQ=SEG.ACK><CTL=RST>.
  s.Inject(5, {.flags = kA, .seq = 5000, .ack = 0, .sport = 40000});
  s.Expect(5, {.flags = kR, .seq = 0, .win = 0});
}

TEST(TcpRfc9293, SynSent_SynAckAckingBeyondSndNxtGetsRst) {
  TcpScript s;
  const int fd = s.ConnectSyn();
  s.Inject(5, {.flags = kSA, .seq = 5000, .ack = 2, .opts = SynOpts()});
  s.Expect(5, {.flags = kR, .seq = 2, .win = 0});
  // The connection attempt goes on: the SYN is resent after the 1 s RTO.
  EXPECT_EQ(s.State(fd), TcpState::kSynSent);
  s.Expect(1000, {.flags = kS, .seq = 0, .win = 64240});
}

TEST(TcpRfc9293, SynSent_RstWithBadAckIsIgnored) {
  TcpScript s;
  const int fd = s.ConnectSyn();
  s.Inject(5, {.flags = kRA, .seq = 0, .ack = 5});
  EXPECT_EQ(s.State(fd), TcpState::kSynSent);
  EXPECT_EQ(s.SoError(fd), 0);
  s.Expect(1000, {.flags = kS, .seq = 0});
}

TEST(TcpRfc9293, SynSent_RstWithoutAckIsIgnored) {
  TcpScript s;
  const int fd = s.ConnectSyn();
  s.Inject(5, {.flags = kR, .seq = 0});
  EXPECT_EQ(s.State(fd), TcpState::kSynSent);
  s.Expect(1000, {.flags = kS, .seq = 0});
}

TEST(TcpRfc9293, SynSent_RstWithAcceptableAckRefusesTheConnection) {
  TcpScript s;
  const int fd = s.ConnectSyn();
  s.Inject(5, {.flags = kRA, .seq = 0, .ack = 1});
  EXPECT_EQ(s.SoError(fd), ECONNREFUSED);
  EXPECT_EQ(s.State(fd), TcpState::kClose);
  s.ExpectNothing(5000);  // no more SYNs
}

TEST(TcpRfc9293, SynSent_SynAckEstablishesAndIsAcked) {
  TcpScript s;
  const int fd = s.ConnectEstablished(20, NoTs());
  EXPECT_EQ(s.State(fd), TcpState::kEstablished);
  EXPECT_EQ(s.SoError(fd), 0);
  s.ExpectNothing(10000);
}

TEST(TcpRfc9293, SynSent_SynWithoutAckIsASimultaneousOpen) {
  TcpScript s;
  const int fd = s.ConnectSyn();
  const uint32_t our_syn_ts = s.our_tsval();
  // Crossed SYNs (RFC 9293 figure 7): our SYN goes again, now with an ACK,
  // echoing the peer's timestamp (Linux tcp_send_synack).
  s.Inject(5, {.flags = kS, .seq = 5000, .opts = SynOpts(1460, 7, true, true, 777, 0)});
  s.Expect(5, {.flags = kSA, .seq = 0, .ack = 5001, .win = 64240, .opts = SynOpts(), .tsecr = 777});
  EXPECT_EQ(s.State(fd), TcpState::kSynRecv);
  EXPECT_EQ(s.our_tsval() - our_syn_ts, 5u);  // our clock: milliseconds
  // The peer's SYN-ACK completes it; its SYN is old news by now, so Linux
  // treats it as a retransmission (tcp_data_queue) and ACKs at once with a
  // D-SACK for it.
  s.Inject(10, {.flags = kSA,
                .seq = 5000,
                .ack = 1,
                .opts = SynOpts(1460, 7, true, true, 787, s.our_tsval())});
  EXPECT_EQ(s.State(fd), TcpState::kEstablished);
  TcpOptions dsack = Sacks({{5000, 5001}});
  dsack.has_timestamp = true;
  s.Expect(10, {.flags = kA, .seq = 1, .ack = 5001, .win = 502, .opts = dsack});
  s.ExpectNothing(5000);
}

TEST(TcpRfc9293, SynSent_SimultaneousOpenCompletedByAnAck) {
  TcpScript s;
  const int fd = s.ConnectSyn();
  s.Inject(5, {.flags = kS, .seq = 5000, .opts = NoTs()});
  s.Expect(5, {.flags = kSA, .seq = 0, .ack = 5001, .win = 64240});
  s.Inject(10, {.flags = kA, .seq = 5001, .ack = 1});
  EXPECT_EQ(s.State(fd), TcpState::kEstablished);
  EXPECT_EQ(s.Write(fd, "hi"), 2);
  s.Expect(10, {.flags = kPA, .seq = 1, .ack = 5001, .data = "hi"});
}

TEST(TcpRfc9293, SynSent_SimultaneousOpenSynAckOffersOurOptionsAnyway) {
  TcpScript s;
  const int fd = s.ConnectSyn();
  // The crossed SYN has only an MSS. Linux's SYN-ACK (tcp_syn_options)
  // still offers SACK, timestamps and a window scale, 0 since the peer
  // cannot scale; what is used follows the peer's SYN.
  s.Inject(5, {.flags = kS, .seq = 5000, .opts = SynOpts(1460, std::nullopt, false, false)});
  s.Expect(
      5, {.flags = kSA, .seq = 0, .ack = 5001, .win = 64240, .opts = SynOpts(1460, 0, true, true)});
  s.Inject(10, {.flags = kA, .seq = 5001, .ack = 1});
  ASSERT_EQ(s.State(fd), TcpState::kEstablished);
  ASSERT_EQ(s.Write(fd, "hi"), 2);
  s.Expect(10,
           {.flags = kPA, .seq = 1, .ack = 5001, .win = 64240, .data = "hi", .opts = TcpOptions{}});
}

// ---------------------------------------------------------------------------
// SYN-RECEIVED (a request sock): Linux tcp_check_req.

TEST(TcpRfc9293, SynRecv_RetransmittedSynGetsTheSynAckAgainAndRestartsTheTimer) {
  TcpScript s;
  s.Listen(8080);
  s.Inject(0, {.flags = kS, .seq = kPeerIsn, .opts = NoTs()});
  s.Expect(0, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1, .win = 64240});
  s.Inject(600, {.flags = kS, .seq = kPeerIsn, .opts = NoTs()});
  s.Expect(600, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1, .win = 64240});
  // inet_rtx_syn_ack re-arms the request timer: 1 s from the resend.
  s.Expect(1600, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1});
  s.Expect(3600, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1});
}

TEST(TcpRfc9293, SynRecv_AckOfTheWrongSequenceGetsRstAndTheRequestStays) {
  TcpScript s;
  const int l = s.Listen(8080);
  s.Inject(0, {.flags = kS, .seq = kPeerIsn, .opts = NoTs()});
  s.Expect(0, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1});
  s.Inject(10, {.flags = kA, .seq = kPeerIsn + 1, .ack = 77});
  s.Expect(10, {.flags = kR, .seq = 77, .win = 0});
  s.Inject(20, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1});
  EXPECT_GE(s.Accept(l), 0);
}

TEST(TcpRfc9293, SynRecv_RstDropsTheRequest) {
  TcpScript s;
  const int l = s.Listen(8080);
  s.Inject(0, {.flags = kS, .seq = kPeerIsn, .opts = NoTs()});
  s.Expect(0, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1});
  s.Inject(10, {.flags = kR, .seq = kPeerIsn + 1});
  s.ExpectNothing(5000);  // no SYN-ACK retransmissions
  EXPECT_LT(s.Accept(l), 0);
  // The handshake's ACK now reaches the listener, which resets it.
  s.Inject(5000, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1});
  s.Expect(5000, {.flags = kR, .seq = 1});
}

TEST(TcpRfc9293, SynRecv_SegmentOutsideTheWindowGetsAnAck) {
  TcpScript s;
  s.Listen(8080);
  s.Inject(0, {.flags = kS, .seq = kPeerIsn, .opts = NoTs()});
  s.Expect(0, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1});
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 1 + 100000, .ack = 1, .len = 10});
  // tcp_v4_reqsk_send_ack: the window scaled as it will be once
  // synchronized (64240 >> 7).
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1, .win = 501, .opts = TcpOptions{}});
}

TEST(TcpRfc9293, SynRecv_AckWithFinIsAcceptedIntoCloseWait) {
  TcpScript s;
  const int l = s.Listen(8080);
  s.Inject(0, {.flags = kS, .seq = kPeerIsn, .opts = NoTs()});
  s.Expect(0, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1});
  s.Inject(10, {.flags = kFA, .seq = kPeerIsn + 1, .ack = 1});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 2, .win = kWin});
  const int fd = s.Accept(l);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(s.State(fd), TcpState::kCloseWait);
}

// ---------------------------------------------------------------------------
// Synchronized states, first: check the sequence number (3.10.7.4).

TEST(TcpRfc9293, Established_DataBeyondTheWindowGetsADuplicateAck) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 1 + 64256 + 100, .ack = 1, .len = 10});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1, .win = kWin, .opts = TcpOptions{}});
  int err = 0;
  EXPECT_EQ(s.Read(fd, &err), "");
}

TEST(TcpRfc9293, Established_OldDataGetsADuplicateAckWithDsack) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 1, .data = "abc"});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 4, .win = kWin});  // quick ACK
  s.Inject(20, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 1, .data = "abc"});
  s.Expect(
      20,
      {.flags = kA, .seq = 1, .ack = kPeerIsn + 4, .opts = Sacks({{kPeerIsn + 1, kPeerIsn + 4}})});
  EXPECT_EQ(s.Read(fd), "abc");
}

TEST(TcpRfc9293, Established_EveryUnacceptableDataSegmentIsAcked) {
  TcpScript s;
  Establish(s);
  // tcp_oow_rate_limited spares data segments: they are not part of an
  // ACK loop, so each one is answered.
  const uint32_t far = kPeerIsn + 1 + 200000;
  s.Inject(10, {.flags = kPA, .seq = far, .ack = 1, .len = 10});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1});
  s.Inject(20, {.flags = kPA, .seq = far + 10, .ack = 1, .len = 10});
  s.Expect(20, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1});
}

TEST(TcpRfc9293, Established_UnacceptablePureAcksAreAnsweredOncePer500ms) {
  TcpScript s;
  Establish(s);
  const uint32_t far = kPeerIsn + 1 + 200000;
  s.Inject(10, {.flags = kA, .seq = far, .ack = 1});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1});
  s.Inject(20, {.flags = kA, .seq = far, .ack = 1});
  s.Inject(509, {.flags = kA, .seq = far, .ack = 1});
  s.Inject(510, {.flags = kA, .seq = far, .ack = 1});  // tcp_invalid_ratelimit later
  s.Expect(510, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1});
  EXPECT_EQ(s.host.tcp().ext[TcpExtMib::kTCPACKSkippedSeq], 2u);
}

// Second: the RST bit (RFC 5961 3.2).

TEST(TcpRfc9293, Established_RstOutsideTheWindowIsIgnored) {
  TcpScript s;
  const int fd = s.AcceptOne(0, NoTs());
  s.Inject(10, {.flags = kR, .seq = kPeerIsn + 1 + 100000});
  s.Inject(11, {.flags = kR, .seq = kPeerIsn - 10});
  s.ExpectNothing(1000);
  EXPECT_EQ(s.State(fd), TcpState::kEstablished);
}

TEST(TcpRfc9293, Established_RstAtRcvNxtResetsTheConnection) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kR, .seq = kPeerIsn + 1});
  s.ExpectNothing(5000);
  EXPECT_EQ(s.State(fd), TcpState::kClose);
  int err = 0;
  s.Read(fd, &err);
  EXPECT_EQ(err, ECONNRESET);
  EXPECT_EQ(s.host.tcp().mib[TcpMib::kEstabResets], 1u);
}

TEST(TcpRfc9293, Established_InWindowRstNotAtRcvNxtGetsAChallengeAck) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kR, .seq = kPeerIsn + 1 + 100});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1, .win = kWin});
  EXPECT_EQ(s.State(fd), TcpState::kEstablished);
  EXPECT_EQ(s.host.tcp().ext[TcpExtMib::kTCPChallengeACK], 1u);
  // One challenge ACK per 500 ms per socket.
  s.Inject(20, {.flags = kRA, .seq = kPeerIsn + 1 + 200, .ack = 1});
  s.ExpectNothing(100);
  EXPECT_EQ(s.host.tcp().ext[TcpExtMib::kTCPACKSkippedChallenge], 1u);
  s.Inject(600, {.flags = kR, .seq = kPeerIsn + 1 + 300});
  s.Expect(600, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1});
}

TEST(TcpRfc9293, Established_RstAtTheHighestSackedSequenceResets) {
  TcpScript s;
  const int fd = Establish(s);
  // Out-of-order data: ACKed at once with a SACK block.
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 101, .ack = 1, .len = 10});
  s.Expect(10, {.flags = kA,
                .seq = 1,
                .ack = kPeerIsn + 1,
                .opts = Sacks({{kPeerIsn + 101, kPeerIsn + 111}})});
  // Linux tcp_validate_incoming also takes a RST at the right edge of the
  // highest SACK block as exact.
  s.Inject(20, {.flags = kR, .seq = kPeerIsn + 111});
  EXPECT_EQ(s.State(fd), TcpState::kClose);
  s.ExpectNothing(1000);
}

// Fourth: a SYN in a synchronized state (RFC 5961 4.2).

TEST(TcpRfc9293, Established_InWindowSynGetsAChallengeAck) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kS, .seq = kPeerIsn + 50, .opts = NoTs()});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1, .win = kWin});
  EXPECT_EQ(s.State(fd), TcpState::kEstablished);
  EXPECT_EQ(s.host.tcp().ext[TcpExtMib::kTCPSYNChallenge], 1u);
}

TEST(TcpRfc9293, Established_OutOfWindowSynGetsAChallengeAckToo) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kS, .seq = kPeerIsn + 500000, .opts = NoTs()});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1, .win = kWin});
  EXPECT_EQ(s.State(fd), TcpState::kEstablished);
}

// Fifth: the ACK field.

TEST(TcpRfc9293, Established_SegmentWithoutAckIsDropped) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kP, .seq = kPeerIsn + 1, .data = "abc"});
  s.ExpectNothing(1000);
  int err = 0;
  EXPECT_EQ(s.Read(fd, &err), "");
  EXPECT_EQ(err, EAGAIN);
}

TEST(TcpRfc9293, Established_AckOfUnsentDataIsDropped) {
  TcpScript s;
  const int fd = Establish(s);
  // Linux tcp_rcv_established drops it silently (tcp_ack's
  // TCP_ACK_UNSENT_DATA), data included.
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 100, .data = "abc"});
  s.ExpectNothing(1000);
  int err = 0;
  EXPECT_EQ(s.Read(fd, &err), "");
  EXPECT_EQ(s.State(fd), TcpState::kEstablished);
}

TEST(TcpRfc9293, CloseWait_AckOfUnsentDataGetsAChallengeAck) {
  TcpScript s;
  const int fd = Establish(s);
  PeerFin(s, 10);
  // Outside ESTABLISHED, tcp_rcv_state_process answers an unacceptable ACK
  // with a (rate-limited) challenge ACK.
  s.Inject(20, {.flags = kA, .seq = kPeerIsn + 2, .ack = 100});
  s.Expect(20, {.flags = kA, .seq = 1, .ack = kPeerIsn + 2, .win = kWin});
  EXPECT_EQ(s.State(fd), TcpState::kCloseWait);
}

TEST(TcpRfc9293, Established_OldAckIsIgnoredAndTheDataKept) {
  TcpScript s;
  const int fd = Establish(s);
  ASSERT_EQ(s.Write(fd, "hello"), 5);
  s.Expect(0, {.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .data = "hello"});
  s.Inject(10, {.flags = kA, .seq = kPeerIsn + 1, .ack = 6});
  // An ACK below SND.UNA but within what was acknowledged: ignored.
  s.Inject(20, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 3, .data = "abc"});
  s.Expect(20, {.flags = kA, .seq = 6, .ack = kPeerIsn + 4, .win = kWin});
  EXPECT_EQ(s.Read(fd), "abc");
}

TEST(TcpRfc9293, Established_AckBelowEverythingAcknowledgedGetsAChallengeAck) {
  TcpScript s;
  const int fd = Establish(s);
  // RFC 5961 5.2 with Linux's bound min(max_window, bytes_acked): nothing
  // was acknowledged yet, so an ACK of our ISN is "too old".
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 0, .data = "abc"});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1, .win = kWin});
  int err = 0;
  EXPECT_EQ(s.Read(fd, &err), "");
  EXPECT_EQ(err, EAGAIN);
}

TEST(TcpRfc9293, Established_ActiveOpenCountsItsSynAsAcknowledged) {
  TcpScript s;
  const int fd = s.ConnectEstablished(10, SynOpts(1460, 7, true, false));
  // Linux's bytes_acked includes the SYN, so an ACK of our ISS is merely
  // old here (one below SND.UNA, within what was acknowledged): ignored,
  // and the data is taken.
  s.Inject(20, {.flags = kPA, .seq = 5001, .ack = 0, .data = "abc"});
  s.Expect(20, {.flags = kA, .seq = 1, .ack = 5004, .win = kWin});
  EXPECT_EQ(s.Read(fd), "abc");
}

// Sixth: URG. usnet keeps no urgent data: the byte stays in line (as with
// SO_OOBINLINE) and the segment is processed as any other.

TEST(TcpRfc9293, Established_UrgentDataStaysInLine) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kPA | kTcpUrg, .seq = kPeerIsn + 1, .ack = 1, .data = "abcd"});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 5, .win = kWin});
  EXPECT_EQ(s.Read(fd), "abcd");
}

// Seventh: the segment text.

TEST(TcpRfc9293, Established_InOrderDataIsQueuedAndAcked) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 1, .data = "hello"});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 6, .win = kWin});
  s.Inject(20, {.flags = kPA, .seq = kPeerIsn + 6, .ack = 1, .data = " world"});
  s.Expect(20, {.flags = kA, .seq = 1, .ack = kPeerIsn + 12, .win = kWin});
  EXPECT_EQ(s.Read(fd), "hello world");
}

TEST(TcpRfc9293, Established_OutOfOrderDataWaitsForTheHole) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 4, .ack = 1, .data = "def"});
  s.Expect(
      10,
      {.flags = kA, .seq = 1, .ack = kPeerIsn + 1, .opts = Sacks({{kPeerIsn + 4, kPeerIsn + 7}})});
  int err = 0;
  EXPECT_EQ(s.Read(fd, &err), "");
  s.Inject(20, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 1, .data = "abc"});
  s.Expect(20, {.flags = kA, .seq = 1, .ack = kPeerIsn + 7, .opts = TcpOptions{}});
  EXPECT_EQ(s.Read(fd), "abcdef");
}

// Eighth: the FIN bit, state by state.

TEST(TcpRfc9293, Established_FinMovesToCloseWait) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 1, .data = "bye"});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 4});
  // tcp_fin enters ping-pong mode: no quick ACK; the delayed ACK waits the
  // 40 ms ATO for a reply (our FIN) to ride on.
  s.Inject(20, {.flags = kFA, .seq = kPeerIsn + 4, .ack = 1});
  EXPECT_EQ(s.State(fd), TcpState::kCloseWait);
  s.Expect(60, {.flags = kA, .seq = 1, .ack = kPeerIsn + 5, .win = kWin});
  int err = -1;
  EXPECT_EQ(s.Read(fd, &err), "bye");
  EXPECT_EQ(s.Read(fd, &err), "");  // end of stream
  EXPECT_EQ(err, 0);
}

TEST(TcpRfc9293, CloseWait_CloseWithinTheAtoSendsOneFinAck) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 1, .data = "q"});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 2});
  s.Inject(20, {.flags = kFA, .seq = kPeerIsn + 2, .ack = 1});
  EXPECT_EQ(s.Read(fd), "q");
  ASSERT_EQ(s.Close(fd), 0);
  // Our FIN carries the ACK of theirs: no separate ACK.
  s.Expect(20, {.flags = kFA, .seq = 1, .ack = kPeerIsn + 3, .win = kWin});
  s.ExpectNothing(150);
}

TEST(TcpRfc9293, CloseWait_DataAfterTheFinIsIgnored) {
  TcpScript s;
  const int fd = Establish(s);
  PeerFin(s, 10);
  s.Inject(20, {.flags = kPA, .seq = kPeerIsn + 2, .ack = 1, .data = "late"});
  s.ExpectNothing(1000);
  int err = -1;
  EXPECT_EQ(s.Read(fd, &err), "");
  EXPECT_EQ(err, 0);
}

TEST(TcpRfc9293, CloseWait_RetransmittedFinIsAckedAgain) {
  TcpScript s;
  const int fd = Establish(s);
  PeerFin(s, 10);
  s.Inject(100, {.flags = kFA, .seq = kPeerIsn + 1, .ack = 1});
  s.Expect(
      100,
      {.flags = kA, .seq = 1, .ack = kPeerIsn + 2, .opts = Sacks({{kPeerIsn + 1, kPeerIsn + 2}})});
  EXPECT_EQ(s.State(fd), TcpState::kCloseWait);
}

TEST(TcpRfc9293, CloseWait_CloseSendsFinAndLastAckEndsOnItsAck) {
  TcpScript s;
  const int fd = Establish(s);
  PeerFin(s, 10);
  ASSERT_EQ(s.Close(fd), 0);
  s.Expect(10, {.flags = kFA, .seq = 1, .ack = kPeerIsn + 2, .win = kWin});
  EXPECT_EQ(s.host.tcp().established_count(), 1u);
  s.Inject(30, {.flags = kA, .seq = kPeerIsn + 2, .ack = 2});
  EXPECT_EQ(s.host.tcp().established_count(), 0u);
  EXPECT_EQ(s.host.tcp().timewait_count(), 0u);  // LAST-ACK goes straight to CLOSED
  s.ExpectNothing(5000);
}

TEST(TcpRfc9293, LastAck_FinIsRetransmittedUntilAcked) {
  TcpScript s;
  const int fd = Establish(s);
  PeerFin(s, 10);
  ASSERT_EQ(s.Close(fd), 0);
  s.Expect(10, {.flags = kFA, .seq = 1, .ack = kPeerIsn + 2});
  s.Expect(210, {.flags = kFA, .seq = 1, .ack = kPeerIsn + 2});  // RTO 200 ms (RTT ~0)
  s.Inject(250, {.flags = kA, .seq = kPeerIsn + 2, .ack = 2});
  EXPECT_EQ(s.host.tcp().established_count(), 0u);
  s.ExpectNothing(10000);
}

TEST(TcpRfc9293, FinWait1_AckOfOurFinMovesToFinWait2AndTheirFinToTimeWait) {
  TcpScript s;
  const int fd = Establish(s);
  OurFin(s, fd, false);
  EXPECT_EQ(s.State(fd), TcpState::kFinWait1);
  s.Inject(10, {.flags = kA, .seq = kPeerIsn + 1, .ack = 2});
  EXPECT_EQ(s.State(fd), TcpState::kFinWait2);
  s.Inject(20, {.flags = kFA, .seq = kPeerIsn + 1, .ack = 2});
  s.Expect(20, {.flags = kA, .seq = 2, .ack = kPeerIsn + 2, .win = kWin});
  EXPECT_EQ(s.host.tcp().timewait_count(), 1u);
}

TEST(TcpRfc9293, FinWait1_FinAckingOurFinGoesStraightToTimeWait) {
  TcpScript s;
  ToTimeWait(s, Establish(s));
  s.ExpectNothing(1000);
}

TEST(TcpRfc9293, FinWait1_CrossedFinsGoThroughClosing) {
  TcpScript s;
  const int fd = Establish(s);
  OurFin(s, fd, false);
  // Their FIN does not acknowledge ours: simultaneous close.
  s.Inject(10, {.flags = kFA, .seq = kPeerIsn + 1, .ack = 1});
  s.Expect(10, {.flags = kA, .seq = 2, .ack = kPeerIsn + 2, .win = kWin});
  EXPECT_EQ(s.State(fd), TcpState::kClosing);
  s.Inject(20, {.flags = kA, .seq = kPeerIsn + 2, .ack = 2});
  EXPECT_EQ(s.host.tcp().timewait_count(), 1u);
  s.ExpectNothing(1000);
}

TEST(TcpRfc9293, Closing_RetransmittedFinGetsAnAckWithDsack) {
  TcpScript s;
  const int fd = Establish(s);
  OurFin(s, fd, false);
  s.Inject(10, {.flags = kFA, .seq = kPeerIsn + 1, .ack = 1});
  s.Expect(10, {.flags = kA, .seq = 2, .ack = kPeerIsn + 2});
  ASSERT_EQ(s.State(fd), TcpState::kClosing);
  // Old news in CLOSING: tcp_data_queue ACKs it at once with a D-SACK.
  s.Inject(100, {.flags = kFA, .seq = kPeerIsn + 1, .ack = 1});
  s.Expect(
      100,
      {.flags = kA, .seq = 2, .ack = kPeerIsn + 2, .opts = Sacks({{kPeerIsn + 1, kPeerIsn + 2}})});
  EXPECT_EQ(s.State(fd), TcpState::kClosing);
}

TEST(TcpRfc9293, FinWait2_UnacceptableSegmentGetsADuplicateAck) {
  TcpScript s;
  const int fd = Establish(s);
  OurFin(s, fd, false);
  s.Inject(10, {.flags = kA, .seq = kPeerIsn + 1, .ack = 2});
  ASSERT_EQ(s.State(fd), TcpState::kFinWait2);
  s.Inject(20, {.flags = kPA, .seq = kPeerIsn + 1 + 100000, .ack = 2, .len = 10});
  s.Expect(20, {.flags = kA, .seq = 2, .ack = kPeerIsn + 1, .win = kWin});
  EXPECT_EQ(s.State(fd), TcpState::kFinWait2);
}

TEST(TcpRfc9293, FinWait2_PeerKeepsSendingAfterOurShutdown) {
  TcpScript s;
  const int fd = Establish(s);
  OurFin(s, fd, false);
  s.Inject(10, {.flags = kA, .seq = kPeerIsn + 1, .ack = 2});
  // Half-close: the other direction still carries data.
  s.Inject(20, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 2, .data = "more"});
  s.Expect(20, {.flags = kA, .seq = 2, .ack = kPeerIsn + 5, .win = kWin});
  s.Inject(30, {.flags = kPA, .seq = kPeerIsn + 5, .ack = 2, .data = "data"});
  s.Expect(30, {.flags = kA, .seq = 2, .ack = kPeerIsn + 9, .win = kWin});
  EXPECT_EQ(s.Read(fd), "moredata");
  EXPECT_EQ(s.Write(fd, "x"), -1);
  EXPECT_EQ(errno, EPIPE);
  PeerFin(s, 40, kPeerIsn + 9, 2);
  EXPECT_EQ(s.host.tcp().timewait_count(), 1u);
}

TEST(TcpRfc9293, TimeWait_RetransmittedFinIsAckedAgain) {
  TcpScript s;
  ToTimeWait(s, Establish(s));
  // Our ACK was lost: the peer's FIN comes again and is answered by the
  // TIME_WAIT mini socket (tcp_timewait_state_process).
  s.Inject(1000, {.flags = kFA, .seq = kPeerIsn + 1, .ack = 2});
  s.Expect(1000, {.flags = kA, .seq = 2, .ack = kPeerIsn + 2, .win = kWin});
  EXPECT_EQ(s.host.tcp().timewait_count(), 1u);
}

TEST(TcpRfc9293, TimeWait_StrayAckIsAnsweredAndRestartsTheTimer) {
  TcpScript s;
  ToTimeWait(s, Establish(s));
  // Not the next sequence number: tcp_timewait_state_process re-ACKs and
  // the 60 s start again.
  s.Inject(30000, {.flags = kA, .seq = kPeerIsn + 5, .ack = 2});
  s.Expect(30000, {.flags = kA, .seq = 2, .ack = kPeerIsn + 2, .win = kWin});
  s.RunTo(89999);
  EXPECT_EQ(s.host.tcp().timewait_count(), 1u);
  s.RunTo(90000);
  EXPECT_EQ(s.host.tcp().timewait_count(), 0u);
}

TEST(TcpRfc9293, TimeWait_InWindowRstKillsIt) {
  TcpScript s;
  ToTimeWait(s, Establish(s));
  // Linux (tcp_rfc1337 = 0) lets a RST end TIME_WAIT early.
  s.Inject(20, {.flags = kR, .seq = kPeerIsn + 2});
  EXPECT_EQ(s.host.tcp().timewait_count(), 0u);
  s.ExpectNothing(1000);
}

// ---------------------------------------------------------------------------
// Aborts (RFC 9293 3.10.4 ABORT, RFC 2525 2.17).

TEST(TcpRfc9293, CloseWithUnreadDataSendsRst) {
  TcpScript s;
  const int fd = Establish(s);
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 1, .data = "unread"});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 7});
  ASSERT_EQ(s.Close(fd), 0);
  s.Expect(10, {.flags = kRA, .seq = 1, .ack = kPeerIsn + 7, .win = kWin});
  EXPECT_EQ(s.host.tcp().ext[TcpExtMib::kTCPAbortOnClose], 1u);
  EXPECT_EQ(s.host.tcp().established_count(), 0u);
  s.ExpectNothing(5000);
}

TEST(TcpRfc9293, LingerZeroCloseSendsRst) {
  TcpScript s;
  const int fd = Establish(s);
  {
    ProcessScope in(s.proc);
    linger lg{.l_onoff = 1, .l_linger = 0};
    ASSERT_EQ(sys::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
  }
  ASSERT_EQ(s.Write(fd, "queued"), 6);
  s.Expect(0, {.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .data = "queued"});
  ASSERT_EQ(s.Close(fd), 0);
  // The RST takes the sequence after everything sent.
  s.Expect(0, {.flags = kRA, .seq = 7, .ack = kPeerIsn + 1, .win = kWin});
  EXPECT_EQ(s.host.tcp().established_count(), 0u);
  s.ExpectNothing(5000);
}

}  // namespace
}  // namespace usnet
