// ARP and the neighbour cache: Linux's NUD states and timers (net/core/neighbour.c).
#include "net/ipv4/arp.h"

#include <arpa/inet.h>

#include "gtest/gtest.h"
#include "net/wire/arp.h"
#include "net/wire/udp.h"
#include "syscalls/socket_api.h"
#include "tests/support/host_harness.h"

namespace usnet {
namespace {

using testing::Bytes;
using testing::HostHarness;

const Ipv4Addr kPeer = Ipv4Addr::FromOctets(10, 0, 0, 1);
const Ipv4Addr kSelf = Ipv4Addr::FromOctets(10, 0, 0, 2);
const MacAddr kPeerMac = MacAddr::Local(1);
const MacAddr kSelfMac = MacAddr::Local(2);

// Sends one UDP datagram from the host to the peer through the socket API.
int SendToPeer(HostHarness& h, int fd = -1, size_t len = 4) {
  ProcessScope in(h.proc);
  if (fd < 0) fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  to.sin_addr.s_addr = htonl(kPeer.value());
  std::string data(len, 'x');
  EXPECT_EQ(sys::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
            static_cast<ssize_t>(len));
  return fd;
}

struct Arp {
  uint16_t op;
  MacAddr eth_dst;
  ArpRepr repr;
};

std::optional<Arp> AsArp(const Bytes& f) {
  auto eth = EthView::Parse(f);
  if (!eth || eth->ethertype() != kEthPArp) return std::nullopt;
  auto a = ArpView::Parse(eth->payload());
  if (!a) return std::nullopt;
  return Arp{a->op(), eth->dst(), ArpRepr::Parse(*a)};
}

NudState State(HostHarness& h, Ipv4Addr ip) {
  const Neighbour* n = h.host.inet().arp().Find(ip, h.dev);
  return n ? n->state : NudState::kNone;
}

Bytes ReplyFromPeer() {
  return HostHarness::ArpFrame(kArpOpReply, kPeerMac, kPeer, kSelfMac, kSelf, kSelfMac);
}

TEST(Arp, FirstSendBroadcastsRequestAndQueuesThePacket) {
  HostHarness h;
  SendToPeer(h);
  ASSERT_EQ(h.sent().size(), 1u);
  auto arp = AsArp(h.sent()[0]);
  ASSERT_TRUE(arp);
  EXPECT_EQ(arp->op, kArpOpRequest);
  EXPECT_TRUE(arp->eth_dst.IsBroadcast());
  EXPECT_EQ(arp->repr.sender_ip, kSelf);
  EXPECT_EQ(arp->repr.sender_mac, kSelfMac);
  EXPECT_EQ(arp->repr.target_ip, kPeer);
  EXPECT_EQ(State(h, kPeer), NudState::kIncomplete);
}

TEST(Arp, ReplyMakesEntryReachableAndFlushesQueueInOrder) {
  HostHarness h;
  int fd = SendToPeer(h, -1, 1);
  SendToPeer(h, fd, 2);
  SendToPeer(h, fd, 3);
  ASSERT_EQ(h.sent().size(), 1u);  // only the request
  h.Inject(ReplyFromPeer());
  EXPECT_EQ(State(h, kPeer), NudState::kReachable);
  ASSERT_EQ(h.sent().size(), 4u);
  for (int i = 1; i <= 3; ++i) {
    auto eth = EthView::Parse(h.sent()[i]);
    ASSERT_TRUE(eth);
    EXPECT_EQ(eth->dst(), kPeerMac);
    auto ip = Ipv4View::Parse(eth->payload());
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->payload().size(), kUdpHeaderLen + static_cast<size_t>(i));  // order kept
  }
}

TEST(Arp, NoReplyGivesThreeRequestsOneSecondApartThenFailsWithHostUnreachable) {
  HostHarness h;
  int fd;
  {
    ProcessScope in(h.proc);
    fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    to.sin_addr.s_addr = htonl(kPeer.value());
    ASSERT_EQ(sys::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
    ASSERT_EQ(sys::send(fd, "x", 1, 0), 1);
  }
  // Requests at 0 s (with the send), 1 s and 2 s; failure at 3 s.
  EXPECT_EQ(h.sent().size(), 1u);
  h.Run(absl::Milliseconds(999));
  EXPECT_EQ(h.sent().size(), 1u);
  h.Run(absl::Milliseconds(1));
  EXPECT_EQ(h.sent().size(), 2u);
  h.Run(absl::Milliseconds(999));
  EXPECT_EQ(h.sent().size(), 2u);
  h.Run(absl::Milliseconds(1));
  EXPECT_EQ(h.sent().size(), 3u);
  h.Run(absl::Milliseconds(999));
  EXPECT_EQ(State(h, kPeer), NudState::kIncomplete);
  h.Run(absl::Milliseconds(1));
  ASSERT_EQ(h.sent().size(), 3u);
  for (const Bytes& f : h.sent()) {
    auto a = AsArp(f);
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->eth_dst.IsBroadcast());
  }
  EXPECT_EQ(State(h, kPeer), NudState::kFailed);
  EXPECT_EQ(h.Counter("ArpCacheResFailed"), 1u);
  EXPECT_EQ(h.Drops(DropReason::kNEIGH_FAILED), 1u);
  // arp_error_report: ICMP host unreachable to the local sender.
  EXPECT_EQ(h.Counter("IcmpOutDestUnreachs"), 1u);
  EXPECT_EQ(h.Counter("IcmpInDestUnreachs"), 1u);
  ProcessScope in(h.proc);
  char c;
  EXPECT_EQ(sys::recv(fd, &c, 1, MSG_DONTWAIT), -1);
  EXPECT_EQ(errno, EHOSTUNREACH);
}

TEST(Arp, UnresolvedQueueIsBoundedDroppingTheOldest) {
  HostHarness h;
  // Room for about three small packets (each pins ~2.3 KB of truesize).
  ASSERT_TRUE(h.host.sysctl().Set("net.ipv4.neigh.default.unres_qlen_bytes", "7500").ok());
  int fd = SendToPeer(h, -1, 1);
  for (size_t i = 2; i <= 10; ++i) SendToPeer(h, fd, i);
  const uint64_t dropped = h.Drops(DropReason::kNEIGH_QUEUEFULL);
  EXPECT_EQ(dropped, 7u);
  EXPECT_EQ(h.Counter("ArpCacheUnresolvedDiscards"), dropped);
  h.Inject(ReplyFromPeer());
  // The newest three survive, in order.
  ASSERT_EQ(h.sent().size(), 4u);
  for (int i = 0; i < 3; ++i) {
    auto ip = Ipv4View::Parse(EthView::Parse(h.sent()[1 + i])->payload());
    EXPECT_EQ(ip->payload().size(), kUdpHeaderLen + 8u + static_cast<size_t>(i));
  }
}

TEST(Arp, ReachableBecomesStaleAfterReachableTime) {
  HostHarness h;
  SendToPeer(h);
  h.Inject(ReplyFromPeer());
  ASSERT_EQ(State(h, kPeer), NudState::kReachable);
  h.Run(absl::Seconds(14));  // reachable_time is at least base/2 = 15 s
  EXPECT_EQ(State(h, kPeer), NudState::kReachable);
  h.Run(absl::Seconds(32));  // and less than 3*base/2 = 45 s
  EXPECT_EQ(State(h, kPeer), NudState::kStale);
}

TEST(Arp, StaleUseGoesToDelayThenUnicastProbesThenFails) {
  HostHarness h;
  int fd = SendToPeer(h);
  h.Inject(ReplyFromPeer());
  h.Run(absl::Seconds(50));
  ASSERT_EQ(State(h, kPeer), NudState::kStale);
  h.ClearSent();
  SendToPeer(h, fd);  // sent at once with the stale address
  ASSERT_EQ(h.sent().size(), 1u);
  EXPECT_FALSE(AsArp(h.sent()[0]));
  EXPECT_EQ(State(h, kPeer), NudState::kDelay);
  h.Run(absl::Milliseconds(4999));
  EXPECT_EQ(State(h, kPeer), NudState::kDelay);
  EXPECT_EQ(h.sent().size(), 1u);
  h.Run(absl::Milliseconds(1));  // delay_first_probe_time: 5 s
  EXPECT_EQ(State(h, kPeer), NudState::kProbe);
  h.Run(absl::Milliseconds(2999));
  // ucast_solicit = 3 unicast probes, 1 s apart, to the cached address.
  ASSERT_EQ(h.sent().size(), 4u);
  for (size_t i = 1; i < 4; ++i) {
    auto a = AsArp(h.sent()[i]);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->eth_dst, kPeerMac);
    EXPECT_EQ(a->repr.target_ip, kPeer);
  }
  EXPECT_EQ(State(h, kPeer), NudState::kProbe);
  h.Run(absl::Milliseconds(1));
  EXPECT_EQ(State(h, kPeer), NudState::kFailed);
}

TEST(Arp, ConfirmationDuringDelayReturnsToReachableWithoutProbing) {
  HostHarness h;
  int fd = SendToPeer(h);
  h.Inject(ReplyFromPeer());
  h.Run(absl::Seconds(50));
  SendToPeer(h, fd);
  ASSERT_EQ(State(h, kPeer), NudState::kDelay);
  h.Run(absl::Seconds(2));
  h.Inject(ReplyFromPeer());
  EXPECT_EQ(State(h, kPeer), NudState::kReachable);
  const size_t sent = h.sent().size();
  h.Run(absl::Seconds(4));
  EXPECT_EQ(h.sent().size(), sent);  // no probe
}

TEST(Arp, RequestForOurAddressIsAnsweredAndRequesterRemembered) {
  HostHarness h;
  h.Inject(HostHarness::ArpFrame(kArpOpRequest, kPeerMac, kPeer, MacAddr(), kSelf, MacAddr::Broadcast()));
  ASSERT_EQ(h.sent().size(), 1u);
  auto a = AsArp(h.sent()[0]);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->op, kArpOpReply);
  EXPECT_EQ(a->eth_dst, kPeerMac);
  EXPECT_EQ(a->repr, (ArpRepr{kArpOpReply, kSelfMac, kSelf, kPeerMac, kPeer}));
  EXPECT_EQ(State(h, kPeer), NudState::kStale);  // neigh_event_ns
  EXPECT_EQ(h.Counter("ArpCacheOutReplies"), 1u);
}

TEST(Arp, RequestForAnotherAddressIsIgnoredAndCreatesNoEntry) {
  HostHarness h;
  h.Inject(HostHarness::ArpFrame(kArpOpRequest, kPeerMac, kPeer, MacAddr(),
                                 Ipv4Addr::FromOctets(10, 0, 0, 77), MacAddr::Broadcast()));
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.host.inet().arp().size(), 0u);
}

TEST(Arp, UnsolicitedReplyCreatesNoEntry) {
  HostHarness h;
  h.Inject(ReplyFromPeer());
  EXPECT_EQ(h.host.inet().arp().size(), 0u);
  EXPECT_EQ(h.Counter("ArpCacheInReplies"), 1u);
}

TEST(Arp, MalformedPacketsAreDroppedAndCounted) {
  HostHarness h;
  Bytes good = ReplyFromPeer();
  Bytes truncated(good.begin(), good.begin() + kEthHeaderLen + 20);
  h.Inject(truncated);
  Bytes bad_htype = good;
  bad_htype[kEthHeaderLen + 1] = std::byte{32};  // htype 32 (InfiniBand)
  h.Inject(bad_htype);
  Bytes bad_op = good;
  bad_op[kEthHeaderLen + 7] = std::byte{9};
  h.Inject(bad_op);
  EXPECT_EQ(h.Drops(DropReason::kARP_INVALID), 3u);
  EXPECT_EQ(h.pool.stats().unaccounted, 0u);
}

TEST(Arp, UnusedStaleEntriesAreCollected) {
  HostHarness h;
  h.Inject(HostHarness::ArpFrame(kArpOpRequest, kPeerMac, kPeer, MacAddr(), kSelf, MacAddr::Broadcast()));
  ASSERT_EQ(h.host.inet().arp().size(), 1u);
  h.Run(absl::Seconds(59));
  EXPECT_EQ(h.host.inet().arp().size(), 1u);
  h.Run(absl::Seconds(31));  // gc_stale_time 60 s, GC every 15 s
  EXPECT_EQ(h.host.inet().arp().size(), 0u);
  EXPECT_EQ(h.Counter("ArpCacheDestroys"), 1u);
}

}  // namespace
}  // namespace usnet

namespace usnet {
namespace {

// Found by the fuzzer: Linux's arp_process refuses loopback targets.
TEST(Arp, RequestForALoopbackAddressIsDropped) {
  testing::HostHarness h;
  h.Inject(testing::HostHarness::ArpFrame(kArpOpRequest, MacAddr::Local(1), Ipv4Addr::FromOctets(10, 0, 0, 1),
                                          MacAddr(), Ipv4Addr::FromOctets(127, 0, 0, 1), MacAddr::Broadcast()));
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.Drops(DropReason::kARP_INVALID), 1u);
}

}  // namespace
}  // namespace usnet
