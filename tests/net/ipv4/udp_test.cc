#include <arpa/inet.h>
#include <netinet/ip_icmp.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "net/ipv4/arp.h"
#include "syscalls/socket_api.h"
#include "tests/support/two_hosts.h"

namespace usnet {
namespace {

using testing::SockAddr;
using testing::TwoHosts;

TEST(Udp, DatagramCrossesTheWireAndArpResolves) {
  TwoHosts net;
  int rx;
  {
    ProcessScope in(net.proc_b);
    rx = sys::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(rx, 0);
    sockaddr_in sa = SockAddr(Ipv4Addr(), 9000);
    ASSERT_EQ(sys::bind(rx, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  }
  {
    ProcessScope in(net.proc_a);
    int tx = sys::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to = SockAddr(TwoHosts::AddrB(), 9000);
    ASSERT_EQ(sys::sendto(tx, "hello", 5, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 5);
    EXPECT_EQ(sys::close(tx), 0);
  }
  net.RunFor(absl::Milliseconds(10));
  ProcessScope in(net.proc_b);
  char buf[64];
  sockaddr_in from{};
  socklen_t flen = sizeof(from);
  ssize_t n = sys::recvfrom(rx, buf, sizeof(buf), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &flen);
  ASSERT_EQ(n, 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  EXPECT_EQ(ntohl(from.sin_addr.s_addr), TwoHosts::AddrA().value());
  EXPECT_EQ(net.Counter(net.b, "UdpInDatagrams"), 1u);
  EXPECT_EQ(net.Counter(net.a, "UdpOutDatagrams"), 1u);
  EXPECT_EQ(net.Counter(net.a, "ArpCacheOutRequests"), 1u);
  EXPECT_EQ(net.Counter(net.b, "ArpCacheOutReplies"), 1u);
  const Neighbour* n_ab = net.a.inet().arp().Find(TwoHosts::AddrB(), net.dev_a);
  ASSERT_NE(n_ab, nullptr);
  EXPECT_EQ(n_ab->state, NudState::kReachable);
  EXPECT_EQ(sys::close(rx), 0);
  EXPECT_EQ(net.pool.stats().unaccounted, 0u);
}

TEST(Udp, ClosedPortGetsIcmpPortUnreachableAndConnectedSenderSeesEconnrefused) {
  TwoHosts net;
  ProcessScope in(net.proc_a);
  int fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to = SockAddr(TwoHosts::AddrB(), 9999);
  ASSERT_EQ(sys::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
  ASSERT_EQ(sys::send(fd, "x", 1, 0), 1);
  net.RunFor(absl::Milliseconds(10));
  EXPECT_EQ(net.Counter(net.b, "UdpNoPorts"), 1u);
  EXPECT_EQ(net.Counter(net.b, "IcmpOutDestUnreachs"), 1u);
  EXPECT_EQ(net.Counter(net.a, "IcmpInDestUnreachs"), 1u);
  char buf[8];
  errno = 0;
  EXPECT_EQ(sys::recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
  EXPECT_EQ(sys::close(fd), 0);
}

TEST(Ping, EchoRequestGetsReplyThroughPingSocket) {
  TwoHosts net;
  ProcessScope in(net.proc_a);
  int fd = sys::socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  ASSERT_GE(fd, 0);
  unsigned char req[16] = {8, 0, 0, 0, 0, 0, 0, 7};
  std::memcpy(req + 8, "payload!", 8);
  sockaddr_in to = SockAddr(TwoHosts::AddrB(), 0);
  ASSERT_EQ(sys::sendto(fd, req, sizeof(req), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 16);
  unsigned char rep[64];
  ssize_t n = sys::recv(fd, rep, sizeof(rep), 0);  // blocks in virtual time
  ASSERT_EQ(n, 16);
  EXPECT_EQ(rep[0], 0);  // echo reply
  EXPECT_EQ(rep[7], 7);  // sequence kept
  EXPECT_EQ(std::memcmp(rep + 8, "payload!", 8), 0);
  EXPECT_EQ(net.Counter(net.b, "IcmpInEchos"), 1u);
  EXPECT_EQ(net.Counter(net.b, "IcmpOutEchoReps"), 1u);
  EXPECT_EQ(sys::close(fd), 0);
}

}  // namespace
}  // namespace usnet
