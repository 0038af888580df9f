// UDP receive demultiplexing and socket rules (Linux net/ipv4/udp.c,
// af_inet.c): scoring, broadcast fan-out, bind errors, buffers, checksums.
#include <arpa/inet.h>
#include <sys/ioctl.h>

#include <cstring>

#include "gtest/gtest.h"
#include "net/wire/udp.h"
#include "syscalls/socket_api.h"
#include "tests/support/host_harness.h"

namespace usnet {
namespace {

using testing::Bytes;
using testing::HostHarness;
using testing::UdpSpec;

sockaddr_in Sin(const char* a, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  inet_pton(AF_INET, a, &s.sin_addr);
  return s;
}

class UdpDemux : public ::testing::Test {
 protected:
  int Socket(const char* addr, uint16_t port, bool reuse = false) {
    ProcessScope in(h.proc);
    int fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
    const int one = 1;
    if (reuse) sys::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a = Sin(addr, port);
    EXPECT_EQ(sys::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0) << addr << ":" << port;
    return fd;
  }
  std::string Recv(int fd) {
    ProcessScope in(h.proc);
    char buf[2048];
    ssize_t n = sys::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
  }
  HostHarness h;
};

TEST_F(UdpDemux, SocketBoundToTheAddressBeatsWildcard) {
  int any = Socket("0.0.0.0", 7, true);
  int exact = Socket("10.0.0.2", 7, true);
  h.Inject(HostHarness::UdpFrame({.dport = 7, .payload = "to-exact"}));
  EXPECT_EQ(Recv(exact), "to-exact");
  EXPECT_EQ(Recv(any), "<none>");
}

TEST_F(UdpDemux, ConnectedSocketGetsItsPeerOthersGoToWildcard) {
  int any = Socket("0.0.0.0", 7, true);
  int conn = Socket("0.0.0.0", 7, true);
  {
    ProcessScope in(h.proc);
    sockaddr_in peer = Sin("10.0.0.1", 40000);
    ASSERT_EQ(sys::connect(conn, reinterpret_cast<sockaddr*>(&peer), sizeof(peer)), 0);
  }
  h.Inject(HostHarness::UdpFrame({.sport = 40000, .dport = 7, .payload = "peer"}));
  h.Inject(HostHarness::UdpFrame({.sport = 40001, .dport = 7, .payload = "other"}));
  EXPECT_EQ(Recv(conn), "peer");
  EXPECT_EQ(Recv(conn), "<none>");
  EXPECT_EQ(Recv(any), "other");
}

TEST_F(UdpDemux, BroadcastReachesEveryWildcardListener) {
  int s1 = Socket("0.0.0.0", 9, true);
  int s2 = Socket("0.0.0.0", 9, true);
  int unicast_only = Socket("10.0.0.2", 9, true);
  UdpSpec b{.dport = 9, .payload = "all"};
  b.ip.dst = Ipv4Addr::FromOctets(10, 0, 0, 255);
  b.ip.dst_mac = MacAddr::Broadcast();
  h.Inject(HostHarness::UdpFrame(b));
  EXPECT_EQ(Recv(s1), "all");
  EXPECT_EQ(Recv(s2), "all");
  EXPECT_EQ(Recv(unicast_only), "<none>");
  EXPECT_EQ(h.pool.stats().unaccounted, 0u);
}

TEST_F(UdpDemux, BindErrorsMatchLinux) {
  ProcessScope in(h.proc);
  int a = sys::socket(AF_INET, SOCK_DGRAM, 0);
  int b = sys::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in p7 = Sin("0.0.0.0", 7);
  ASSERT_EQ(sys::bind(a, reinterpret_cast<sockaddr*>(&p7), sizeof(p7)), 0);
  EXPECT_EQ(sys::bind(a, reinterpret_cast<sockaddr*>(&p7), sizeof(p7)), -1);
  EXPECT_EQ(errno, EINVAL);  // bound already
  EXPECT_EQ(sys::bind(b, reinterpret_cast<sockaddr*>(&p7), sizeof(p7)), -1);
  EXPECT_EQ(errno, EADDRINUSE);
  sockaddr_in foreign = Sin("10.9.9.9", 8);
  EXPECT_EQ(sys::bind(b, reinterpret_cast<sockaddr*>(&foreign), sizeof(foreign)), -1);
  EXPECT_EQ(errno, EADDRNOTAVAIL);
  sockaddr_in six = Sin("10.0.0.2", 8);
  six.sin_family = AF_INET6;
  EXPECT_EQ(sys::bind(b, reinterpret_cast<sockaddr*>(&six), sizeof(six)), -1);
  EXPECT_EQ(errno, EAFNOSUPPORT);
  EXPECT_EQ(sys::bind(b, reinterpret_cast<sockaddr*>(&p7), 8), -1);
  EXPECT_EQ(errno, EINVAL);  // short address
  EXPECT_EQ(sys::bind(99, reinterpret_cast<sockaddr*>(&p7), sizeof(p7)), -1);
  EXPECT_EQ(errno, EBADF);
  // AF_UNSPEC with INADDR_ANY is accepted, for compatibility.
  sockaddr_in unspec = Sin("0.0.0.0", 8);
  unspec.sin_family = AF_UNSPEC;
  EXPECT_EQ(sys::bind(b, reinterpret_cast<sockaddr*>(&unspec), sizeof(unspec)), 0);
}

TEST_F(UdpDemux, EphemeralPortComesFromLocalPortRange) {
  ASSERT_TRUE(h.host.sysctl().Set("net.ipv4.ip_local_port_range", "50000 50003").ok());
  ProcessScope in(h.proc);
  std::vector<int> ports;
  for (int i = 0; i < 4; ++i) {
    int fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in any = Sin("0.0.0.0", 0);
    ASSERT_EQ(sys::bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof(any)), 0);
    sockaddr_in got{};
    socklen_t len = sizeof(got);
    ASSERT_EQ(sys::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &len), 0);
    ports.push_back(ntohs(got.sin_port));
  }
  std::sort(ports.begin(), ports.end());
  EXPECT_EQ(ports, (std::vector<int>{50000, 50001, 50002, 50003}));
  int fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in any = Sin("0.0.0.0", 0);
  EXPECT_EQ(sys::bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof(any)), -1);
  EXPECT_EQ(errno, EADDRINUSE);  // range exhausted
}

TEST_F(UdpDemux, TruncationAndPeekAndFionread) {
  int fd = Socket("0.0.0.0", 7);
  h.Inject(HostHarness::UdpFrame({.dport = 7, .payload = "0123456789"}));
  ProcessScope in(h.proc);
  int avail = -1;
  ASSERT_EQ(sys::ioctl(fd, FIONREAD, &avail), 0);
  EXPECT_EQ(avail, 10);
  char buf[4];
  EXPECT_EQ(sys::recv(fd, buf, sizeof(buf), MSG_PEEK), 4);
  msghdr m{};
  iovec iov{buf, sizeof(buf)};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  EXPECT_EQ(sys::recvmsg(fd, &m, MSG_TRUNC), 10);  // the real length
  EXPECT_TRUE(m.msg_flags & MSG_TRUNC);
  EXPECT_EQ(std::string(buf, 4), "0123");
  EXPECT_EQ(sys::recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);  // the rest is gone
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_EQ(h.Counter("UdpInDatagrams"), 1u);  // counted on read, not on peek
}

TEST_F(UdpDemux, FullReceiveBufferDropsAndCounts) {
  int fd = Socket("0.0.0.0", 7);
  {
    ProcessScope in(h.proc);
    const int size = 3000;  // doubled: 6000 bytes, room for about two small skbs (~2.3 KB each)
    ASSERT_EQ(sys::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)), 0);
  }
  for (int i = 0; i < 5; ++i) h.Inject(HostHarness::UdpFrame({.dport = 7, .payload = "x"}));
  // One skb may overshoot rcvbuf (Linux): three queued, two dropped.
  EXPECT_EQ(h.Counter("UdpRcvbufErrors"), 2u);
  EXPECT_EQ(h.Counter("UdpInErrors"), 2u);
  EXPECT_EQ(h.Drops(DropReason::kSOCKET_RCVBUFF), 2u);
  EXPECT_EQ(Recv(fd), "x");
  EXPECT_EQ(Recv(fd), "x");
  EXPECT_EQ(Recv(fd), "x");
  EXPECT_EQ(Recv(fd), "<none>");
}

TEST_F(UdpDemux, ChecksumRules) {
  int fd = Socket("0.0.0.0", 7);
  h.Inject(HostHarness::UdpFrame({.dport = 7, .payload = "bad", .bad_checksum = true}));
  EXPECT_EQ(h.Counter("UdpInCsumErrors"), 1u);
  EXPECT_EQ(h.Drops(DropReason::kUDP_CSUM), 1u);
  Bytes none = HostHarness::UdpFrame({.dport = 7, .payload = "nocsum"});
  none[kEthHeaderLen + kIpv4MinHeaderLen + 6] = std::byte{0};
  none[kEthHeaderLen + kIpv4MinHeaderLen + 7] = std::byte{0};  // 0: no checksum sent
  h.Inject(none);
  EXPECT_EQ(Recv(fd), "nocsum");
}

TEST_F(UdpDemux, LengthFieldBeyondThePacketIsAnError) {
  Socket("0.0.0.0", 7);
  Bytes f = HostHarness::UdpFrame({.dport = 7, .payload = "abc"});
  f[kEthHeaderLen + kIpv4MinHeaderLen + 5] = std::byte{50};  // length 50 > 11
  h.Inject(f);
  EXPECT_EQ(h.Counter("UdpInErrors"), 1u);
  EXPECT_EQ(h.Drops(DropReason::kPKT_TOO_SMALL), 1u);
}

TEST_F(UdpDemux, SendErrors) {
  ProcessScope in(h.proc);
  int fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
  char big[1];
  EXPECT_EQ(sys::send(fd, big, 1, 0), -1);
  EXPECT_EQ(errno, EDESTADDRREQ);
  sockaddr_in bcast = Sin("10.0.0.255", 9);
  EXPECT_EQ(sys::sendto(fd, big, 1, 0, reinterpret_cast<sockaddr*>(&bcast), sizeof(bcast)), -1);
  EXPECT_EQ(errno, EACCES);  // needs SO_BROADCAST
  sockaddr_in far = Sin("192.0.2.1", 9);
  EXPECT_EQ(sys::sendto(fd, big, 1, 0, reinterpret_cast<sockaddr*>(&far), sizeof(far)), -1);
  EXPECT_EQ(errno, ENETUNREACH);
  EXPECT_EQ(h.Counter("IpOutNoRoutes"), 1u);
  std::vector<char> huge(65508);
  sockaddr_in peer = Sin("10.0.0.1", 9);
  EXPECT_EQ(sys::sendto(fd, huge.data(), huge.size(), 0, reinterpret_cast<sockaddr*>(&peer),
                        sizeof(peer)),
            -1);
  EXPECT_EQ(errno, EMSGSIZE);
  EXPECT_EQ(sys::sendto(fd, nullptr, 5, 0, reinterpret_cast<sockaddr*>(&peer), sizeof(peer)), -1);
  EXPECT_EQ(errno, EFAULT);
  EXPECT_EQ(sys::socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), -1);
  EXPECT_EQ(errno, EPROTONOSUPPORT);
  EXPECT_EQ(sys::socket(AF_INET, SOCK_SEQPACKET, 0), -1);
  EXPECT_EQ(errno, ESOCKTNOSUPPORT);
  EXPECT_EQ(sys::socket(AF_INET6, SOCK_DGRAM, 0), -1);
  EXPECT_EQ(errno, EAFNOSUPPORT);
  EXPECT_EQ(sys::socket(AF_INET, 77, 0), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(sys::listen(fd, 5), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  EXPECT_EQ(sys::shutdown(fd, SHUT_RDWR), -1);
  EXPECT_EQ(errno, ENOTCONN);
}

TEST_F(UdpDemux, BlockingRecvWithNothingPendingFailsInsteadOfHanging) {
  int fd = Socket("0.0.0.0", 7);
  ProcessScope in(h.proc);
  char c;
  EXPECT_EQ(sys::recv(fd, &c, 1, 0), -1);
  EXPECT_EQ(errno, EDEADLK);
  timeval tv{0, 250000};
  ASSERT_EQ(sys::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
  const absl::Time t0 = h.clock.Now();
  EXPECT_EQ(sys::recv(fd, &c, 1, 0), -1);
  EXPECT_EQ(errno, EAGAIN);  // SO_RCVTIMEO ran out
  EXPECT_EQ(h.clock.Now() - t0, absl::Milliseconds(250));
}

}  // namespace
}  // namespace usnet
