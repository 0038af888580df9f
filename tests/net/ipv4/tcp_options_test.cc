// TCP options as packet scripts (RFC 9293 3.7.1 MSS, RFC 7323 window
// scale and timestamps, RFC 2018 SACK), with what Linux 6.x sends: each
// option in our SYN-ACK only if the peer's SYN had it (tcp_openreq_init,
// tcp_synack_options), windows scaled both ways, SACK blocks for
// out-of-order data (tcp_sack_new_ofo_skb), timestamp echo and PAWS
// (tcp_paws_discard).
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "net/ipv4/tcp.h"
#include "syscalls/socket_api.h"
#include "tests/support/tcp_script.h"

namespace usnet {
namespace {

using namespace testing;  // NOLINT

constexpr uint32_t kPeerIsn = 1000;

TcpOptions Sacks(std::initializer_list<std::pair<uint32_t, uint32_t>> blocks, bool ts = false) {
  TcpOptions o;
  for (auto [a, b] : blocks) o.sack[o.num_sack++] = SackBlock{SeqNum(a), SeqNum(b)};
  o.has_timestamp = ts;
  return o;
}

// ---------------------------------------------------------------------------
// MSS

TEST(TcpOptions, PeerMssLimitsOurSegments) {
  TcpScript s;
  const int fd = s.AcceptOne(0, SynOpts(1000, 7, true, false), kPeerIsn);
  ASSERT_EQ(s.Write(fd, 2500), 2500);
  s.Expect(0, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1, .len = 1000});
  s.Expect(0, {.flags = kA, .seq = 1001, .ack = kPeerIsn + 1, .len = 1000});
  s.Expect(0, {.flags = kPA, .seq = 2001, .ack = kPeerIsn + 1, .len = 500});  // PSH ends the write
}

TEST(TcpOptions, WithoutTheMssOptionSegmentsAre536Bytes) {
  TcpScript s;
  TcpOptions syn = SynOpts(1460, 7, true, false);
  syn.mss.reset();
  const int fd = s.AcceptOne(0, syn, kPeerIsn);  // our SYN-ACK still offers 1460
  ASSERT_EQ(s.Write(fd, 1000), 1000);
  s.Expect(0, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1, .len = 536});
  s.Expect(0, {.flags = kPA, .seq = 537, .ack = kPeerIsn + 1, .len = 464});
}

TEST(TcpOptions, TimestampsTakeTwelveBytesOfTheMss) {
  TcpScript s;
  const int fd = s.AcceptOne(0, SynOpts(1460, 7, true, true, 100), kPeerIsn);
  ASSERT_EQ(s.Write(fd, 2000), 2000);
  s.Expect(0, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1, .len = 1448});
  s.Expect(0, {.flags = kPA, .seq = 1449, .ack = kPeerIsn + 1, .len = 552});
}

TEST(TcpOptions, OurSynOffersEveryOptionAndActiveMssFollowsTheSynAck) {
  TcpScript s;
  TcpOptions synack = SynOpts(1200, 7, true, false);
  const int fd = s.ConnectEstablished(10, synack);  // our SYN: mss 1460, sackOK, TS, wscale 7
  ASSERT_EQ(s.Write(fd, 1300), 1300);
  s.Expect(10, {.flags = kA, .seq = 1, .ack = 5001, .len = 1200, .opts = TcpOptions{}});
  s.Expect(10, {.flags = kPA, .seq = 1201, .ack = 5001, .len = 100});
}

// ---------------------------------------------------------------------------
// Window scale

TEST(TcpOptions, WindowScaleAppliesBothWays) {
  TcpScript s;
  const int fd = s.AcceptOne(0, SynOpts(1460, 2, true, false), kPeerIsn);
  // The peer's window 300 << 2 = 1200 bytes: 1000 fit, 1300 do not.
  s.Inject(10, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1, .win = 300});
  ASSERT_EQ(s.Write(fd, 1000), 1000);
  s.Expect(10, {.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .win = 502, .len = 1000});
  ASSERT_EQ(s.Write(fd, 300), 300);
  s.ExpectNothing(20);
  // Our windows are ours >> 7; the ACK moves the window: the rest goes.
  s.Inject(30, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1001, .win = 300});
  s.Expect(30, {.flags = kPA, .seq = 1001, .ack = kPeerIsn + 1, .win = 502, .len = 300});
}

TEST(TcpOptions, WithoutWindowScaleFromThePeerNeitherSideScales) {
  TcpScript s;
  const int fd = s.AcceptOne(0, SynOpts(1460, std::nullopt, true, false), kPeerIsn);
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 1, .ack = 1, .data = "abc"});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 4, .win = 64240, .opts = TcpOptions{}});
  // The peer's 1200 is 1200 bytes (a newer segment, so SND.WL1 lets it
  // shrink the window): 1000 fit, 1300 do not.
  s.Inject(20, {.flags = kA, .seq = kPeerIsn + 4, .ack = 1, .win = 1200});
  ASSERT_EQ(s.Write(fd, 1000), 1000);
  s.Expect(20, {.flags = kPA, .seq = 1, .ack = kPeerIsn + 4, .win = 64240, .len = 1000});
  ASSERT_EQ(s.Write(fd, 300), 300);
  s.ExpectNothing(30);
  s.Inject(40, {.flags = kA, .seq = kPeerIsn + 4, .ack = 1001, .win = 1200});
  s.Expect(40, {.flags = kPA, .seq = 1001, .ack = kPeerIsn + 4, .len = 300});
}

TEST(TcpOptions, ActiveOpenScalesOnlyIfTheSynAckAgrees) {
  TcpScript s;
  const int fd = s.ConnectEstablished(10, SynOpts(1460, std::nullopt, true, false));
  // Our SYN offered 7, but the SYN-ACK had no window scale: 64240 as is.
  s.Inject(20, {.flags = kPA, .seq = 5001, .ack = 1, .data = "abc"});
  s.Expect(20, {.flags = kA, .seq = 1, .ack = 5004, .win = 64240});
  EXPECT_EQ(s.Read(fd), "abc");
}

// ---------------------------------------------------------------------------
// SACK

TEST(TcpOptions, SackBlocksDescribeOutOfOrderDataNewestFirst) {
  TcpScript s;
  const int fd = s.AcceptOne(0, SynOpts(1460, 7, true, false), kPeerIsn);
  const uint32_t base = kPeerIsn + 1;
  s.Inject(10, {.flags = kPA, .seq = base + 100, .ack = 1, .len = 100});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = base, .opts = Sacks({{base + 100, base + 200}})});
  s.Inject(20, {.flags = kPA, .seq = base + 300, .ack = 1, .len = 100});
  s.Expect(20, {.flags = kA,
                .seq = 1,
                .ack = base,
                .opts = Sacks({{base + 300, base + 400}, {base + 100, base + 200}})});
  // Filling the gap between them merges the blocks.
  s.Inject(30, {.flags = kPA, .seq = base + 200, .ack = 1, .len = 100});
  s.Expect(30, {.flags = kA, .seq = 1, .ack = base, .opts = Sacks({{base + 100, base + 400}})});
  // The first hole filled: everything is in order, no more blocks.
  s.Inject(40, {.flags = kPA, .seq = base, .ack = 1, .len = 100});
  s.Expect(40, {.flags = kA, .seq = 1, .ack = base + 400, .opts = TcpOptions{}});
  EXPECT_EQ(s.Read(fd).size(), 400u);
}

TEST(TcpOptions, SackBlocksFitBesideTimestamps) {
  TcpScript s;
  s.AcceptOne(0, SynOpts(1460, 7, true, true, 100), kPeerIsn);
  const uint32_t base = kPeerIsn + 1;
  // Four holes: with timestamps only three blocks fit in 40 bytes.
  for (int i = 0; i < 4; ++i) {
    s.Inject(10 + i, {.flags = kPA,
                      .seq = base + 200 * (i + 1),
                      .ack = 1,
                      .len = 100,
                      .opts = TsOpts(110, s.our_tsval())});
    if (i < 3) s.Expect(10 + i, {.flags = kA, .seq = 1, .ack = base});
  }
  s.Expect(13, {.flags = kA,
                .seq = 1,
                .ack = base,
                .opts = Sacks(
                    {{base + 800, base + 900}, {base + 600, base + 700}, {base + 400, base + 500}},
                    true)});
}

TEST(TcpOptions, NoSackBlocksWithoutSackPermitted) {
  TcpScript s;
  s.AcceptOne(0, SynOpts(1460, 7, false, false), kPeerIsn);
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 101, .ack = 1, .len = 100});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1, .win = 502, .opts = TcpOptions{}});
}

// ---------------------------------------------------------------------------
// Timestamps: echo (RTTM) and PAWS

TEST(TcpOptions, TimestampsEchoTheLatestInSequenceTsval) {
  TcpScript s;
  const int fd = s.AcceptOne(0, SynOpts(1460, 7, true, true, 100), kPeerIsn);
  const uint32_t ts0 = s.our_tsval();
  s.Inject(50,
           {.flags = kPA, .seq = kPeerIsn + 1, .ack = 1, .data = "abc", .opts = TsOpts(150, ts0)});
  s.Expect(50, {.flags = kA, .seq = 1, .ack = kPeerIsn + 4, .win = 510, .tsecr = 150});
  EXPECT_EQ(s.our_tsval() - ts0, 50u);  // a millisecond clock
  // Out of order: its TSval is not taken (RFC 7323 4.3: only when
  // SEG.SEQ <= Last.ACK.sent); the ACK still echoes 150.
  s.Inject(
      60, {.flags = kPA, .seq = kPeerIsn + 104, .ack = 1, .data = "xyz", .opts = TsOpts(160, ts0)});
  s.Expect(60, {.flags = kA, .seq = 1, .ack = kPeerIsn + 4, .tsecr = 150});
  EXPECT_EQ(s.Read(fd), "abc");
}

TEST(TcpOptions, TimestampEchoMeasuresRttAfterAResentSynAck) {
  TcpScript s;
  const int l = s.Listen(8080);
  s.Inject(0, {.flags = kS, .seq = kPeerIsn, .opts = SynOpts(1460, 7, true, true, 100)});
  s.Expect(0, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1});
  s.Expect(1000, {.flags = kSA, .seq = 0, .ack = kPeerIsn + 1, .tsecr = 100});
  // Karn forbids timing the resent SYN-ACK by the clock, but its echoed
  // TSval gives 100 ms: RTO = 100 + 200 ms, not the 3 s fallback.
  s.Inject(1100, {.flags = kA, .seq = kPeerIsn + 1, .ack = 1, .opts = TsOpts(200, s.our_tsval())});
  const int fd = s.Accept(l);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(s.Write(fd, "x"), 1);
  s.Expect(1100, {.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .data = "x", .tsecr = 200});
  s.Expect(1400, {.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .data = "x", .tsecr = 200});
}

TEST(TcpOptions, PawsDropsASegmentWithAnOldTsval) {
  TcpScript s;
  const int fd = s.AcceptOne(0, SynOpts(1460, 7, true, true, 1000), kPeerIsn);
  s.Inject(10,
           {.flags = kPA, .seq = kPeerIsn + 1, .ack = 1, .data = "new", .opts = TsOpts(2000, 0)});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 4, .tsecr = 2000});
  // An in-window segment whose TSval went backwards: a duplicate ACK, and
  // its data is dropped (RFC 7323 5.3).
  s.Inject(20,
           {.flags = kPA, .seq = kPeerIsn + 4, .ack = 1, .data = "old", .opts = TsOpts(1500, 0)});
  s.Expect(20, {.flags = kA, .seq = 1, .ack = kPeerIsn + 4, .tsecr = 2000});
  EXPECT_EQ(s.host.tcp().ext[TcpExtMib::kPAWSEstab], 1u);
  EXPECT_EQ(s.Read(fd), "new");
  // The same TSval as the last one passes.
  s.Inject(30,
           {.flags = kPA, .seq = kPeerIsn + 4, .ack = 1, .data = "ok", .opts = TsOpts(2000, 0)});
  s.Expect(30, {.flags = kA, .seq = 1, .ack = kPeerIsn + 6, .tsecr = 2000});
  EXPECT_EQ(s.Read(fd), "ok");
}

TEST(TcpOptions, PawsLetsAResetThrough) {
  TcpScript s;
  const int fd = s.AcceptOne(0, SynOpts(1460, 7, true, true, 1000), kPeerIsn);
  s.Inject(10, {.flags = kR, .seq = kPeerIsn + 1, .opts = TsOpts(1, 0)});
  EXPECT_EQ(s.State(fd), TcpState::kClose);
  s.ExpectNothing(1000);
}

// ---------------------------------------------------------------------------
// Each option absent when the peer's SYN lacks it.

TEST(TcpOptions, SynWithOnlyMssGetsASynAckWithOnlyMss) {
  TcpScript s;
  const TcpOptions syn = SynOpts(1460, std::nullopt, false, false);
  const int fd = s.AcceptOne(0, syn, kPeerIsn);  // SYN-ACK: <mss 1460>, window 64240
  s.Inject(10, {.flags = kPA, .seq = kPeerIsn + 101, .ack = 1, .len = 10});
  s.Expect(10, {.flags = kA, .seq = 1, .ack = kPeerIsn + 1, .win = 64240, .opts = TcpOptions{}});
  ASSERT_EQ(s.Write(fd, "hi"), 2);
  s.Expect(10, {.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .data = "hi", .opts = TcpOptions{}});
}

TEST(TcpOptions, SynWithoutTimestampsGetsNoTimestamps) {
  TcpScript s;
  const int fd = s.AcceptOne(0, SynOpts(1460, 7, true, false), kPeerIsn);
  ASSERT_EQ(s.Write(fd, "hi"), 2);
  s.Expect(0, {.flags = kPA, .seq = 1, .ack = kPeerIsn + 1, .data = "hi", .opts = TcpOptions{}});
}

// ---------------------------------------------------------------------------
// SACK-based recovery (RFC 6675) with PRR (RFC 6937)

// Ten segments in flight; one ACK SACKs six of them around two holes. Each
// hole segment has at least 3 SACKed segments above it, so all four are
// lost, and PRR counts the six newly SACKed segments as delivered: all four
// go out on this one ACK (tcp_cwnd_reduction's newly_acked_sacked), not one.
TEST(TcpOptions, SackRecoveryRetransmitsEveryLostHoleOnOneAck) {
  TcpScript s;
  const int fd = s.AcceptOne(0, SynOpts(1000, 7, true, false), kPeerIsn);
  for (uint32_t i = 0; i < 10; ++i) {
    ASSERT_EQ(s.Write(fd, std::string(1000, 'x')), 1000);
    s.Expect(0, {.flags = kPA, .seq = 1 + 1000 * i, .ack = kPeerIsn + 1, .len = 1000});
  }
  const uint32_t isn = s.our_isn();
  s.Inject(100, {.flags = kA,
                 .seq = kPeerIsn + 1,
                 .ack = 1,
                 .opts = Sacks({{isn + 2001, isn + 3001}, {isn + 5001, isn + 10001}})});
  for (uint32_t seq : {1u, 1001u, 3001u, 4001u}) {
    s.Expect(100, {.flags = kPA, .seq = seq, .ack = kPeerIsn + 1, .len = 1000});
  }
  s.ExpectNothing(150);
  EXPECT_EQ(s.host.tcp().ext[TcpExtMib::kTCPFastRetrans], 4u);
}

// ---------------------------------------------------------------------------
// TCP_NOTSENT_LOWAT (tcp_stream_memory_free)

// Unsent bytes at or above the mark (doubled for poll's wake-up test, as
// Linux shifts by one) make the socket unwritable: poll drops POLLOUT and
// a nonblocking write says EAGAIN, though the send buffer has room. A full
// initial window in flight (10 x 1000 bytes, nothing ACKed) keeps the rest
// unsent.
TEST(TcpOptions, NotsentLowatLimitsUnsentData) {
  TcpScript s;
  const int fd = s.AcceptOne(0, SynOpts(1000, 7, true, false), kPeerIsn);
  ASSERT_EQ(s.SetIntOpt(fd, SOL_SOCKET, SO_SNDBUF, 1 << 20), 0);  // the buffer never decides
  ASSERT_EQ(s.Write(fd, 10000), 10000);                           // the initial window, all sent
  ASSERT_EQ(s.SetIntOpt(fd, SOL_TCP, TCP_NOTSENT_LOWAT, 3000), 0);
  ProcessScope in(s.proc);
  int v = 0;
  socklen_t len = sizeof(v);
  ASSERT_EQ(sys::getsockopt(fd, SOL_TCP, TCP_NOTSENT_LOWAT, &v, &len), 0);
  EXPECT_EQ(v, 3000);
  ASSERT_EQ(sys::fcntl(fd, F_SETFL, O_NONBLOCK), 0);
  const std::string data(1000, 'x');
  pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
  ASSERT_EQ(sys::write(fd, data.data(), data.size()), 1000);  // 1000 unsent: 2000 < 3000
  EXPECT_EQ(sys::poll(&p, 1, 0), 1);
  ASSERT_EQ(sys::write(fd, data.data(), data.size()), 1000);  // 2000 unsent: 4000 >= 3000
  EXPECT_EQ(sys::poll(&p, 1, 0), 0);
  // Linux checks the mark only when a write needs a new skb
  // (tcp_sendmsg_locked's new_segment): writes fill the unsent tail skb
  // up to its size goal first, and only then wait.
  const std::string big(200000, 'y');
  const ssize_t n = sys::write(fd, big.data(), big.size());
  EXPECT_GT(n, 0);
  EXPECT_LT(n, 65536);
  EXPECT_EQ(sys::write(fd, data.data(), data.size()), -1);  // a new skb: 3000+ >= 3000
  EXPECT_EQ(errno, EAGAIN);
  // Without the mark (0: the default, UINT_MAX) the buffer alone decides.
  ASSERT_EQ(s.SetIntOpt(fd, SOL_TCP, TCP_NOTSENT_LOWAT, 0), 0);
  EXPECT_EQ(sys::poll(&p, 1, 0), 1);
  EXPECT_EQ(sys::write(fd, data.data(), data.size()), 1000);
}

}  // namespace
}  // namespace usnet
