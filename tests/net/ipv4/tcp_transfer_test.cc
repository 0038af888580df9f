// Two usnet hosts moving data over TCP: a clean link, then a faulty one.
#include <arpa/inet.h>
#include <fcntl.h>

#include <cstring>
#include <random>
#include <string>

#include "drivers/fault/fault_injector.h"
#include "gtest/gtest.h"
#include "net/ipv4/tcp.h"
#include "syscalls/socket_api.h"
#include "tests/support/tcp_pair.h"

namespace usnet {
namespace {

using namespace testing;  // NOLINT

TEST(TcpTransfer, HandshakeDataAndOrderlyClose) {
  TwoHosts net;
  TcpPair c = ConnectPair(net);
  ExchangeResult x = Exchange(net, c, "hello from a", "hello from b", absl::Seconds(10));
  EXPECT_TRUE(x.done && x.b_got == "hello from a" && x.a_got == "hello from b") << x.Describe();
  Tcp& ta = net.a.tcp();
  Tcp& tb = net.b.tcp();
  EXPECT_EQ(ta.mib[TcpMib::kActiveOpens], 1u);
  EXPECT_EQ(tb.mib[TcpMib::kPassiveOpens], 1u);
  EXPECT_EQ(ta.mib[TcpMib::kRetransSegs], 0u);
  {
    ProcessScope in(net.proc_a);
    EXPECT_EQ(sys::close(c.client), 0);
  }
  {
    ProcessScope in(net.proc_b);
    EXPECT_EQ(sys::close(c.server), 0);
    EXPECT_EQ(sys::close(c.listener), 0);
  }
  net.RunFor(absl::Seconds(1));
  // Both shut down writing in the same instant: the FINs crossed
  // (simultaneous close, RFC 9293 figure 13), so both sides pass through
  // CLOSING and hold TIME_WAIT for 60 s.
  EXPECT_EQ(ta.timewait_count(), 1u);
  EXPECT_EQ(tb.timewait_count(), 1u);
  EXPECT_EQ(ta.mib[TcpMib::kCurrEstab] + tb.mib[TcpMib::kCurrEstab], 0u);
  net.RunFor(absl::Seconds(58));  // 59 s after the FINs
  EXPECT_EQ(ta.timewait_count(), 1u);
  net.RunFor(absl::Seconds(2));  // 61 s
  EXPECT_EQ(ta.timewait_count(), 0u);
  EXPECT_EQ(ta.socket_count() + tb.socket_count(), 0u);
  EXPECT_EQ(net.pool.stats().unaccounted, 0u);
}

TEST(TcpTransfer, OneMegabyteEachWayCostsOneCopyPerByteAndNoRetransmits) {
  TwoHosts net;
  TcpPair c = ConnectPair(net);
  const std::string up = RandomBytes(1 << 20, 1), down = RandomBytes(1 << 20, 2);
  const uint64_t a_tx0 = net.a.core().ledger().bytes(CopySite::kUserToSkb);
  const uint64_t b_rx0 = net.b.core().ledger().bytes(CopySite::kSkbToUser);
  ExchangeResult x = Exchange(net, c, up, down, absl::Seconds(60));
  ASSERT_TRUE(x.done && x.b_got == up && x.a_got == down) << x.Describe();
  EXPECT_EQ(net.a.core().ledger().bytes(CopySite::kUserToSkb) - a_tx0, up.size());
  EXPECT_EQ(net.b.core().ledger().bytes(CopySite::kSkbToUser) - b_rx0, up.size());
  EXPECT_EQ(net.a.core().ledger().bytes(CopySite::kRetransmit), 0u);
  EXPECT_EQ(net.a.tcp().mib[TcpMib::kRetransSegs], 0u);
  EXPECT_EQ(net.b.tcp().mib[TcpMib::kRetransSegs], 0u);
}

// With TSO on the wire (memlink offload, like veth): 64 KiB super-frames,
// still exactly one copy per byte each way, and none on any other site.
TEST(TcpTransfer, TsoSendsSuperFramesWithOneCopyPerByte) {
  TwoHosts net({.offload = true});
  TcpPair c = ConnectPair(net);
  const std::string up = RandomBytes(1 << 20, 3), down = RandomBytes(1 << 20, 4);
  const CopyLedger la0 = net.a.core().ledger(), lb0 = net.b.core().ledger();
  const uint64_t frames0 = net.dev_a->stats().tx_packets;
  const uint64_t segs0 = net.a.tcp().mib[TcpMib::kOutSegs];
  ExchangeResult x = Exchange(net, c, up, down, absl::Seconds(60));
  ASSERT_TRUE(x.done && x.b_got == up && x.a_got == down) << x.Describe();
  for (Stack* side : {&net.a, &net.b}) {
    const CopyLedger& l = side->core().ledger();
    const CopyLedger& l0 = side == &net.a ? la0 : lb0;
    for (size_t i = 0; i < CopyLedger::kSites; ++i) {
      const auto site = static_cast<CopySite>(i);
      const uint64_t want =
          site == CopySite::kUserToSkb || site == CopySite::kSkbToUser ? 1u << 20 : 0;
      EXPECT_EQ(l.bytes(site) - l0.bytes(site), want) << kCopySiteNames[i];
    }
  }
  // OutSegs counts wire segments (tcp_skb_pcount); far fewer frames crossed.
  const uint64_t frames = net.dev_a->stats().tx_packets - frames0;
  const uint64_t segs = net.a.tcp().mib[TcpMib::kOutSegs] - segs0;
  EXPECT_GE(segs, (1u << 20) / 1448);
  EXPECT_LT(frames * 4, segs) << "TSO frames carry many segments each";
  EXPECT_EQ(net.a.tcp().mib[TcpMib::kRetransSegs], 0u);
}

}  // namespace
}  // namespace usnet
