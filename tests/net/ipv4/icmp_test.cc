// ICMP (Linux net/ipv4/icmp.c): replies, errors and when not to send them
// (RFC 1122 3.2.2), rate limits, and errors reaching the sending socket.
#include "net/ipv4/icmp.h"

#include "net/ipv4/arp.h"

#include <arpa/inet.h>
#include <linux/errqueue.h>

#include <cstring>

#include "gtest/gtest.h"
#include "net/wire/icmp.h"
#include "net/wire/udp.h"
#include "syscalls/socket_api.h"
#include "tests/support/host_harness.h"

namespace usnet {
namespace {

using testing::Bytes;
using testing::HostHarness;
using testing::IpSpec;
using testing::UdpSpec;

const Ipv4Addr kPeer = Ipv4Addr::FromOctets(10, 0, 0, 1);
const Ipv4Addr kSelf = Ipv4Addr::FromOctets(10, 0, 0, 2);

// The host knows the peer's MAC, so replies go out without ARP first.
void KnowPeer(HostHarness& h, Ipv4Addr peer = kPeer) {
  h.host.inet().arp().AddPermanent(peer, h.dev, MacAddr::Local(1));
}

struct Icmp {
  Ipv4Addr src, dst;
  uint8_t type, code;
  uint32_t rest;
  Bytes data;
};

std::optional<Icmp> SentIcmp(const Bytes& f) {
  auto eth = EthView::Parse(f);
  if (!eth || eth->ethertype() != kEthPIp) return std::nullopt;
  auto ip = Ipv4View::Parse(eth->payload());
  if (!ip || ip->protocol() != kIpProtoIcmp) return std::nullopt;
  auto m = IcmpView::Parse(ip->payload());
  if (!m || !m->ChecksumValid()) return std::nullopt;
  return Icmp{ip->src(), ip->dst(), m->type(), m->code(), m->rest(),
              Bytes(m->payload().begin(), m->payload().end())};
}

TEST(Icmp, EchoIsAnsweredWithSameIdSeqAndData) {
  HostHarness h;
  KnowPeer(h);
  Bytes data = HostHarness::AsBytes("abcdefghijklmnop");
  h.Inject(HostHarness::IcmpFrame({}, kIcmpEcho, 0, IcmpRepr::Echo(0x1234, 9), data));
  ASSERT_EQ(h.sent().size(), 1u);
  auto r = SentIcmp(h.sent()[0]);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, kIcmpEchoReply);
  EXPECT_EQ(r->rest, IcmpRepr::Echo(0x1234, 9));
  EXPECT_EQ(r->src, kSelf);
  EXPECT_EQ(r->dst, kPeer);
  EXPECT_EQ(r->data, data);
  EXPECT_EQ(h.Counter("IcmpInEchos"), 1u);
  EXPECT_EQ(h.Counter("IcmpOutEchoReps"), 1u);
  EXPECT_EQ(h.Counter("IcmpMsgInType8"), 1u);
  EXPECT_EQ(h.Counter("IcmpMsgOutType0"), 1u);
}

TEST(Icmp, EchoToBroadcastIgnoredUnlessAllowed) {
  HostHarness h;
  KnowPeer(h);
  IpSpec bcast;
  bcast.dst = Ipv4Addr::FromOctets(10, 0, 0, 255);
  bcast.dst_mac = MacAddr::Broadcast();
  h.Inject(HostHarness::IcmpFrame(bcast, kIcmpEcho, 0, IcmpRepr::Echo(1, 1), {}));
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.Drops(DropReason::kINVALID_PROTO), 1u);
  ASSERT_TRUE(h.host.sysctl().Set("net.ipv4.icmp_echo_ignore_broadcasts", "0").ok());
  h.Inject(HostHarness::IcmpFrame(bcast, kIcmpEcho, 0, IcmpRepr::Echo(1, 2), {}));
  ASSERT_EQ(h.sent().size(), 1u);
  EXPECT_EQ(SentIcmp(h.sent()[0])->src, kSelf);  // answered from our address
}

TEST(Icmp, BadChecksumIsCountedAndDropped) {
  HostHarness h;
  Bytes f = HostHarness::IcmpFrame({}, kIcmpEcho, 0, IcmpRepr::Echo(1, 1), {});
  f.back() ^= std::byte{1};  // the last byte of the ICMP header (seq)
  h.Inject(f);
  EXPECT_EQ(h.Counter("IcmpInCsumErrors"), 1u);
  EXPECT_EQ(h.Counter("IcmpInErrors"), 1u);
  EXPECT_EQ(h.Drops(DropReason::kICMP_CSUM), 1u);
  EXPECT_TRUE(h.sent().empty());
}

TEST(Icmp, PortUnreachableQuotesHeaderAndData) {
  HostHarness h;
  KnowPeer(h);
  Bytes f = HostHarness::UdpFrame({.dport = 5555, .payload = std::string(1000, 'q')});
  h.Inject(f);
  ASSERT_EQ(h.sent().size(), 1u);
  auto r = SentIcmp(h.sent()[0]);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, kIcmpDestUnreach);
  EXPECT_EQ(r->code, kIcmpPortUnreach);
  // 576 - 20 - 8 = 548 bytes of the original datagram, from its IP header.
  ASSERT_EQ(r->data.size(), 548u);
  EXPECT_TRUE(std::equal(r->data.begin(), r->data.end(), f.begin() + kEthHeaderLen));
  EXPECT_EQ(h.Counter("UdpNoPorts"), 1u);
  EXPECT_EQ(h.Drops(DropReason::kNO_SOCKET), 1u);
}

TEST(Icmp, ProtocolUnreachableForUnknownProtocol) {
  HostHarness h;
  KnowPeer(h);
  IpSpec s;
  s.protocol = 99;
  h.Inject(HostHarness::IpFrame(s, HostHarness::AsBytes("12345678")));
  ASSERT_EQ(h.sent().size(), 1u);
  auto r = SentIcmp(h.sent()[0]);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, kIcmpDestUnreach);
  EXPECT_EQ(r->code, kIcmpProtUnreach);
  EXPECT_EQ(h.Counter("IpInUnknownProtos"), 1u);
  EXPECT_EQ(h.Drops(DropReason::kIP_NOPROTO), 1u);
}

TEST(Icmp, NoErrorAboutBroadcastsNonFirstFragmentsOrIcmpErrors) {
  HostHarness h;
  KnowPeer(h);
  // A UDP datagram to the subnet broadcast with no listener: silence.
  UdpSpec b{.dport = 5555, .payload = "x"};
  b.ip.dst = Ipv4Addr::FromOctets(10, 0, 0, 255);
  b.ip.dst_mac = MacAddr::Broadcast();
  h.Inject(HostHarness::UdpFrame(b));
  EXPECT_EQ(h.Counter("UdpIgnoredMulti"), 1u);
  // A non-first fragment of a datagram for an unknown protocol: no error
  // (it only gets delivered, and refused, after reassembly anyway).
  IpSpec frag;
  frag.protocol = 99;
  frag.frag_offset = 8;
  h.Inject(HostHarness::IpFrame(frag, HostHarness::AsBytes("12345678")));
  // An ICMP error about something: never answered with an error.
  Bytes inner = HostHarness::IpPacket({.src = kSelf, .dst = kPeer, .protocol = 99}, HostHarness::AsBytes("abcdefgh"));
  h.Inject(HostHarness::IcmpFrame({}, kIcmpDestUnreach, kIcmpPortUnreach, 0, inner));
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.Counter("IcmpOutMsgs"), 0u);
}

TEST(Icmp, PerPeerRateLimitAllowsBurstOfSixThenOnePerSecond) {
  HostHarness h;
  KnowPeer(h);
  for (int i = 0; i < 20; ++i) h.Inject(HostHarness::UdpFrame({.dport = static_cast<uint16_t>(6000 + i), .payload = "x"}));
  EXPECT_EQ(h.sent().size(), 6u);
  EXPECT_EQ(h.Counter("IcmpOutRateLimitHost"), 14u);
  EXPECT_EQ(h.Counter("UdpNoPorts"), 20u);
  h.Run(absl::Milliseconds(999));
  h.Inject(HostHarness::UdpFrame({.dport = 7000, .payload = "x"}));
  EXPECT_EQ(h.sent().size(), 6u);
  h.Run(absl::Milliseconds(1));
  h.Inject(HostHarness::UdpFrame({.dport = 7001, .payload = "x"}));
  EXPECT_EQ(h.sent().size(), 7u);
}

TEST(Icmp, GlobalRateLimitCapsAllPeersAtTheBurst) {
  HostHarness h;
  ASSERT_TRUE(h.host.sysctl().Set("net.ipv4.icmp_ratelimit", "0").ok());  // per-peer off
  for (int i = 1; i <= 80; ++i) {
    Ipv4Addr src = Ipv4Addr::FromOctets(10, 0, 0, static_cast<uint8_t>(100 + i % 100));
    KnowPeer(h, src);
    UdpSpec u{.dport = 6000, .payload = "x"};
    u.ip.src = src;
    h.Inject(HostHarness::UdpFrame(u));
  }
  EXPECT_EQ(h.sent().size(), 50u);  // icmp_msgs_burst
  EXPECT_EQ(h.Counter("IcmpOutRateLimitGlobal"), 30u);
}

TEST(Icmp, TimestampRequestIsAnswered) {
  HostHarness h;
  KnowPeer(h);
  Bytes ts(12, std::byte{0});
  ts[3] = std::byte{5};
  h.Inject(HostHarness::IcmpFrame({}, kIcmpTimestamp, 0, IcmpRepr::Echo(3, 4), ts));
  ASSERT_EQ(h.sent().size(), 1u);
  auto r = SentIcmp(h.sent()[0]);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, kIcmpTimestampReply);
  ASSERT_EQ(r->data.size(), 12u);
  EXPECT_EQ(r->data[3], std::byte{5});  // originate timestamp echoed
}

// An ICMP error quoting a datagram our socket sent.
Bytes ErrorAbout(uint16_t sport, uint16_t dport, uint8_t type, uint8_t code) {
  Bytes udp(kUdpHeaderLen + 4);
  UdpRepr{Port(sport), Port(dport), 4}.Emit(udp.data(), kSelf, kPeer);
  Bytes inner = HostHarness::IpPacket({.src = kSelf, .dst = kPeer, .protocol = kIpProtoUdp}, udp);
  return HostHarness::IcmpFrame({}, type, code, 0, inner);
}

int BoundSocket(HostHarness& h, uint16_t port, bool connect_to_peer) {
  ProcessScope in(h.proc);
  int fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  EXPECT_EQ(sys::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  if (connect_to_peer) {
    sockaddr_in p{};
    p.sin_family = AF_INET;
    p.sin_port = htons(53);
    p.sin_addr.s_addr = htonl(kPeer.value());
    EXPECT_EQ(sys::connect(fd, reinterpret_cast<sockaddr*>(&p), sizeof(p)), 0);
  }
  return fd;
}

TEST(Icmp, HardErrorReachesConnectedSocketOnly) {
  HostHarness h;
  int connected = BoundSocket(h, 4000, true);
  int unconnected = BoundSocket(h, 4001, false);
  h.Inject(ErrorAbout(4000, 53, kIcmpDestUnreach, kIcmpPortUnreach));
  h.Inject(ErrorAbout(4001, 53, kIcmpDestUnreach, kIcmpPortUnreach));
  ProcessScope in(h.proc);
  char c;
  EXPECT_EQ(sys::recv(connected, &c, 1, MSG_DONTWAIT), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
  EXPECT_EQ(sys::recv(connected, &c, 1, MSG_DONTWAIT), -1);
  EXPECT_EQ(errno, EAGAIN);  // reported once
  EXPECT_EQ(sys::recv(unconnected, &c, 1, MSG_DONTWAIT), -1);
  EXPECT_EQ(errno, EAGAIN);  // ignored without IP_RECVERR
}

TEST(Icmp, RecverrQueuesExtendedErrorWithOffender) {
  HostHarness h;
  int fd = BoundSocket(h, 4002, false);
  ProcessScope in(h.proc);
  const int one = 1;
  ASSERT_EQ(sys::setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one)), 0);
  h.Inject(ErrorAbout(4002, 53, kIcmpDestUnreach, kIcmpHostUnreach));
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(sys::poll(&p, 1, 0), 1);
  EXPECT_TRUE(p.revents & POLLERR);
  char data[64], control[256];
  sockaddr_in dest{};
  iovec iov{data, sizeof(data)};
  msghdr m{};
  m.msg_name = &dest;
  m.msg_namelen = sizeof(dest);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof(control);
  ASSERT_EQ(sys::recvmsg(fd, &m, MSG_ERRQUEUE), 4);  // the original payload
  EXPECT_EQ(ntohl(dest.sin_addr.s_addr), kPeer.value());
  EXPECT_EQ(ntohs(dest.sin_port), 53);
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->cmsg_level, SOL_IP);
  EXPECT_EQ(c->cmsg_type, IP_RECVERR);
  sock_extended_err ee;
  std::memcpy(&ee, CMSG_DATA(c), sizeof(ee));
  EXPECT_EQ(ee.ee_errno, static_cast<uint32_t>(EHOSTUNREACH));
  EXPECT_EQ(ee.ee_origin, SO_EE_ORIGIN_ICMP);
  EXPECT_EQ(ee.ee_type, kIcmpDestUnreach);
  EXPECT_EQ(ee.ee_code, kIcmpHostUnreach);
  sockaddr_in off;
  std::memcpy(&off, CMSG_DATA(c) + sizeof(ee), sizeof(off));
  EXPECT_EQ(ntohl(off.sin_addr.s_addr), kPeer.value());
  // Dequeuing the last report clears the pending error.
  int err = -1;
  socklen_t len = sizeof(err);
  ASSERT_EQ(sys::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
  EXPECT_EQ(err, 0);
}

TEST(IcmpErrno, LinuxTable) {
  EXPECT_EQ(IcmpToErrno(3, 0).err, ENETUNREACH);
  EXPECT_EQ(IcmpToErrno(3, 1).err, EHOSTUNREACH);
  EXPECT_EQ(IcmpToErrno(3, 2).err, ENOPROTOOPT);
  EXPECT_EQ(IcmpToErrno(3, 3).err, ECONNREFUSED);
  EXPECT_EQ(IcmpToErrno(3, 4).err, EMSGSIZE);
  EXPECT_FALSE(IcmpToErrno(3, 4).fatal);
  EXPECT_EQ(IcmpToErrno(11, 0).err, EHOSTUNREACH);
  EXPECT_FALSE(IcmpToErrno(11, 0).fatal);
  EXPECT_EQ(IcmpToErrno(12, 0).err, EPROTO);
}

}  // namespace
}  // namespace usnet

namespace usnet {
namespace {

// Found by the fuzzer: UDP trims the packet to its length field, and the
// port unreachable must still go out (Linux needs only the IP header).
TEST(Icmp, PortUnreachableForDatagramShorterThanItsIpPayload) {
  testing::HostHarness h;
  h.host.inet().arp().AddPermanent(Ipv4Addr::FromOctets(10, 0, 0, 1), h.dev, MacAddr::Local(1));
  testing::Bytes f = testing::HostHarness::UdpFrame({.dport = 5555, .payload = "abcdefgh"});
  // Claim a UDP length 4 bytes short of the IP payload (checksum 0: none).
  const size_t udp = kEthHeaderLen + kIpv4MinHeaderLen;
  f[udp + 5] = std::byte{12};
  f[udp + 6] = f[udp + 7] = std::byte{0};
  h.Inject(f);
  EXPECT_EQ(h.Counter("UdpNoPorts"), 1u);
  EXPECT_EQ(h.Counter("IcmpOutDestUnreachs"), 1u);
  ASSERT_EQ(h.sent().size(), 1u);
}

}  // namespace
}  // namespace usnet
