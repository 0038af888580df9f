// Socket options of the embedded API, against Linux 6.18: what each option
// reads back after a set (ranges, doubling, normalisation) and what it does
// to the connection. Values marked "Linux:" were measured on this machine
// with a throwaway C program on loopback sockets in a fresh network
// namespace; behaviour (Nagle, cork, keepalive) follows the Linux functions
// named. Binding rules of SO_REUSEADDR/SO_REUSEPORT are in errno_test.cc.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

#include <cstring>

#include "drivers/fault/fault_injector.h"
#include "gtest/gtest.h"
#include "net/ipv4/tcp.h"
#include "net/ipv4/tcp_info.h"
#include "syscalls/socket_api.h"
#include "tests/support/sys_expect.h"
#include "tests/support/tcp_pair.h"

namespace usnet {
namespace {

using namespace testing;  // NOLINT

constexpr uint32_t kInfiniteSsthresh = 0x7fffffff;  // TCP_INFINITE_SSTHRESH
constexpr uint32_t kMss = 1448;                     // 1500 - 40 - 12 (timestamps)

// Host a's device sits behind a fault injector: 5 ms each way (a 10 ms
// RTT, so RTT-derived values are exact) and a switch to lose frames.
class SockoptTest : public ::testing::Test {
 protected:
  TwoHostsOptions Options() {
    TwoHostsOptions o;
    o.wrap = [this](std::unique_ptr<NetDevice> d, int host,
                    EventLoop& loop) -> std::unique_ptr<NetDevice> {
      if (host != 0) return d;
      const FaultConfig delayed{.delay = absl::Milliseconds(5)};
      auto f = std::make_unique<FaultInjector>(std::move(d), loop, delayed, delayed, /*seed=*/1);
      fault_a_ = f.get();
      return f;
    };
    return o;
  }
  // Resolves ARP both ways first, so that a handshake's RTT sample is the
  // path's 10 ms and not 20 ms with the ARP exchange in it.
  void SetUp() override {
    const int u = Udp();
    const sockaddr_in to = SockAddr(TwoHosts::AddrB(), 9);
    ASSERT_EQ(sys::sendto(u, "arp", 3, 0, Sa(to), sizeof(to)), 3);
    Run(absl::Milliseconds(50));
    ASSERT_SYS_OK(sys::close(u));
  }
  int Tcp() { return sys::socket(AF_INET, SOCK_STREAM, 0); }
  int Udp() { return sys::socket(AF_INET, SOCK_DGRAM, 0); }
  TcpInfo Info(int fd) {
    TcpInfo i;
    socklen_t n = sizeof(i);
    EXPECT_SYS_OK(sys::getsockopt(fd, SOL_TCP, TCP_INFO, &i, &n));
    EXPECT_EQ(n, sizeof(TcpInfo));
    return i;
  }
  TcpInfo InfoB(int fd) {
    ProcessScope in(net.proc_b);
    return Info(fd);
  }
  // Segments of new data a has sent so far.
  uint64_t DataSentA() { return net.a.tcp().ext[TcpExtMib::kTCPOrigDataSent]; }
  // Bytes b's application could read now from `fd` (SIOCINQ).
  int ReadableB(int fd) {
    ProcessScope in(net.proc_b);
    int v = -1;
    EXPECT_SYS_OK(sys::ioctl(fd, FIONREAD, &v));
    return v;
  }
  void Run(absl::Duration d) { net.RunFor(d); }

  FaultInjector* fault_a_ = nullptr;
  TwoHosts net{Options()};
  ProcessScope in_a_{net.proc_a};
};

// ---------------------------------------------------------------------------
// SOL_SOCKET

TEST_F(SockoptTest, BooleanOptionsReadBackAsZeroOrOne) {
  const int fd = Tcp();
  for (int name : {SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE}) {
    EXPECT_EQ(GetSockInt(fd, SOL_SOCKET, name), 0) << name;
    EXPECT_EQ(SetSockInt(fd, SOL_SOCKET, name, 7), 0);
    EXPECT_EQ(GetSockInt(fd, SOL_SOCKET, name), 1) << name;  // Linux: 7 reads back as 1
    EXPECT_EQ(SetSockInt(fd, SOL_SOCKET, name, 0), 0);
    EXPECT_EQ(GetSockInt(fd, SOL_SOCKET, name), 0) << name;
  }
  for (int name : {TCP_NODELAY, TCP_CORK}) {
    EXPECT_EQ(GetSockInt(fd, SOL_TCP, name), 0) << name;
    EXPECT_EQ(SetSockInt(fd, SOL_TCP, name, 9), 0);
    EXPECT_EQ(GetSockInt(fd, SOL_TCP, name), 1) << name;
  }
}

TEST_F(SockoptTest, SoReuseport_TwoListenersBindOneSocketWithoutDoesNot) {
  // (errno_test.cc's Row_SoReuseport_ListenersShare checks the sharing.)
  int l1 = Tcp(), l2 = Tcp(), l3 = Tcp();
  ASSERT_EQ(SetSockInt(l1, SOL_SOCKET, SO_REUSEPORT, 1), 0);
  ASSERT_EQ(SetSockInt(l2, SOL_SOCKET, SO_REUSEPORT, 1), 0);
  const sockaddr_in a = SockAddr(TwoHosts::AddrA(), 8080);
  ASSERT_SYS_OK(sys::bind(l1, Sa(a), sizeof(a)));
  ASSERT_SYS_OK(sys::listen(l1, 4));
  EXPECT_SYS_OK(sys::bind(l2, Sa(a), sizeof(a)));
  EXPECT_SYS_OK(sys::listen(l2, 4));
  EXPECT_SYS_ERR(sys::bind(l3, Sa(a), sizeof(a)), EADDRINUSE);
}

TEST_F(SockoptTest, SoLinger_ReadsBackNormalised) {
  const int fd = Tcp();
  linger g{-1, -1};
  socklen_t n = sizeof(g);
  ASSERT_SYS_OK(sys::getsockopt(fd, SOL_SOCKET, SO_LINGER, &g, &n));
  EXPECT_EQ(n, sizeof(linger));
  EXPECT_EQ(g.l_onoff, 0);
  EXPECT_EQ(g.l_linger, 0);
  auto set_get = [&](linger l) {
    EXPECT_SYS_OK(sys::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)));
    linger out{-1, -1};
    socklen_t len = sizeof(out);
    EXPECT_SYS_OK(sys::getsockopt(fd, SOL_SOCKET, SO_LINGER, &out, &len));
    return out;
  };
  linger r = set_get({1, 0});
  EXPECT_EQ(r.l_onoff, 1);
  EXPECT_EQ(r.l_linger, 0);
  r = set_get({5, 7});  // Linux: l_onoff is a flag (SOCK_LINGER): reads 1
  EXPECT_EQ(r.l_onoff, 1);
  EXPECT_EQ(r.l_linger, 7);
  r = set_get({0, 9});  // off: the flag clears, the time stays
  EXPECT_EQ(r.l_onoff, 0);
  EXPECT_EQ(r.l_linger, 7);
  n = 4;  // Linux: a short buffer gets the first 4 bytes
  g = {-1, -1};
  ASSERT_SYS_OK(sys::getsockopt(fd, SOL_SOCKET, SO_LINGER, &g, &n));
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(g.l_onoff, 0);
  EXPECT_EQ(g.l_linger, -1);
}

TEST_F(SockoptTest, SoRcvbufSndbuf_DoubledClampedAndFloored) {
  // Defaults: TCP takes tcp_rmem[1] / tcp_wmem[1] (Linux: 131072 / 16384
  // by default; 540000 / 262144 measured here under packetdrill's sysctls),
  // UDP net.core.rmem_default / wmem_default (212992).
  const int tcp = Tcp(), udp = Udp();
  EXPECT_EQ(GetSockInt(tcp, SOL_SOCKET, SO_RCVBUF), net.a.tcp().config().tcp_rmem[1]);
  EXPECT_EQ(GetSockInt(tcp, SOL_SOCKET, SO_SNDBUF), net.a.tcp().config().tcp_wmem[1]);
  EXPECT_EQ(GetSockInt(udp, SOL_SOCKET, SO_RCVBUF), 212992);
  EXPECT_EQ(GetSockInt(udp, SOL_SOCKET, SO_SNDBUF), 212992);
  const int rmem_max = net.a.core().config().rmem_max, wmem_max = net.a.core().config().wmem_max;
  struct Case {
    int set, rcvbuf, sndbuf;
  };
  // Linux (sk_setsockopt, __sock_set_rcvbuf): min((u32)v, *mem_max) * 2,
  // at least SOCK_MIN_RCVBUF 2304 / SOCK_MIN_SNDBUF 4608. A negative value
  // is a huge unsigned one: it asks for the maximum (measured: -5 ->
  // 2 x rmem_max).
  for (const Case& c :
       {Case{10000, 20000, 20000}, Case{0, 2304, 4608}, Case{1000, 2304, 4608},
        Case{-5, 2 * rmem_max, 2 * wmem_max}, Case{1 << 30, 2 * rmem_max, 2 * wmem_max}}) {
    for (int fd : {tcp, udp}) {
      EXPECT_EQ(SetSockInt(fd, SOL_SOCKET, SO_RCVBUF, c.set), 0);
      EXPECT_EQ(SetSockInt(fd, SOL_SOCKET, SO_SNDBUF, c.set), 0);
      EXPECT_EQ(GetSockInt(fd, SOL_SOCKET, SO_RCVBUF), c.rcvbuf) << "set " << c.set;
      EXPECT_EQ(GetSockInt(fd, SOL_SOCKET, SO_SNDBUF), c.sndbuf) << "set " << c.set;
    }
  }
  // The clamp follows the sysctl.
  ASSERT_TRUE(net.a.core().sysctl().Set("net.core.rmem_max", "4194304").ok());
  EXPECT_EQ(SetSockInt(tcp, SOL_SOCKET, SO_RCVBUF, -1), 0);
  EXPECT_EQ(GetSockInt(tcp, SOL_SOCKET, SO_RCVBUF), 8388608);  // Linux, rmem_max 4194304: 8388608
}

TEST_F(SockoptTest, SoError_ReadsAndClears) {
  // A connected UDP socket learns of the closed port from ICMP.
  const int fd = Udp();
  const sockaddr_in to = SockAddr(TwoHosts::AddrB(), 9);
  ASSERT_SYS_OK(sys::connect(fd, Sa(to), sizeof(to)));
  ASSERT_EQ(sys::send(fd, "x", 1, 0), 1);
  Run(absl::Milliseconds(50));
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(sys::poll(&p, 1, 0), 1);
  EXPECT_EQ(p.revents, POLLERR);
  EXPECT_EQ(GetSockInt(fd, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
  EXPECT_EQ(GetSockInt(fd, SOL_SOCKET, SO_ERROR), 0);
  EXPECT_EQ(sys::poll(&p, 1, 0), 0);
  // The same for TCP: a refused nonblocking connect.
  const int t = sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  EXPECT_SYS_ERR(sys::connect(t, Sa(to), sizeof(to)), EINPROGRESS);
  Run(absl::Milliseconds(50));
  EXPECT_EQ(GetSockInt(t, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
  EXPECT_EQ(GetSockInt(t, SOL_SOCKET, SO_ERROR), 0);
}

TEST_F(SockoptTest, ReadOnlyIdentityOptions) {
  const int tcp = Tcp(), udp = Udp();
  EXPECT_EQ(GetSockInt(tcp, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  EXPECT_EQ(GetSockInt(udp, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
  EXPECT_EQ(GetSockInt(tcp, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
  EXPECT_EQ(GetSockInt(udp, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
  EXPECT_EQ(GetSockInt(tcp, SOL_SOCKET, SO_DOMAIN), AF_INET);
  EXPECT_EQ(GetSockInt(tcp, SOL_SOCKET, SO_ACCEPTCONN), 0);
  ASSERT_SYS_OK(sys::listen(tcp, 4));
  EXPECT_EQ(GetSockInt(tcp, SOL_SOCKET, SO_ACCEPTCONN), 1);
  // Linux: a short buffer gets the low bytes, and the length says so.
  int v = 0x55555555;
  socklen_t n = 2;
  ASSERT_SYS_OK(sys::getsockopt(udp, SOL_SOCKET, SO_TYPE, &v, &n));
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(static_cast<uint32_t>(v), 0x55550002u);
  n = 0;
  ASSERT_SYS_OK(sys::getsockopt(udp, SOL_SOCKET, SO_TYPE, &v, &n));
  EXPECT_EQ(n, 0u);
  n = 100;  // longer: an int's worth
  ASSERT_SYS_OK(sys::getsockopt(udp, SOL_SOCKET, SO_TYPE, &v, &n));
  EXPECT_EQ(n, sizeof(int));
  // Linux (do_ip_getsockopt): an IP-level value that fits a byte comes as
  // one byte when the buffer is shorter than an int.
  v = 0;
  n = 2;
  ASSERT_SYS_OK(sys::getsockopt(udp, SOL_IP, IP_TTL, &v, &n));
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(v, 64);
}

TEST_F(SockoptTest, SoKeepalive_ProbesAfterIdleThenTimesOut) {
  TcpPair p = ConnectPair(net);
  ASSERT_EQ(SetSockInt(p.client, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
  ASSERT_EQ(SetSockInt(p.client, SOL_TCP, TCP_KEEPIDLE, 10), 0);
  ASSERT_EQ(SetSockInt(p.client, SOL_TCP, TCP_KEEPINTVL, 5), 0);
  ASSERT_EQ(SetSockInt(p.client, SOL_TCP, TCP_KEEPCNT, 2), 0);
  const absl::Time t0 = net.now();
  const uint64_t probes0 = net.a.tcp().ext[TcpExtMib::kTCPKeepAlive];
  // tcp_keepalive_timer: the first probe after TCP_KEEPIDLE of silence; the
  // peer answers, which restarts the idle time.
  net.RunUntil([&] { return net.a.tcp().ext[TcpExtMib::kTCPKeepAlive] > probes0; },
               absl::Seconds(30));
  EXPECT_EQ(net.now() - t0, absl::Seconds(10));
  // Now the peer goes silent: probes every TCP_KEEPINTVL; when TCP_KEEPCNT
  // went unanswered, the next expiry resets the connection with ETIMEDOUT.
  // Idle time counts from the last answer, which came one RTT (10 ms)
  // after the first probe: probes at 20.01 and 25.01 s, dead at 30.01 s.
  Run(absl::Seconds(1));
  fault_a_->rx_config().loss = 1.0;
  const uint64_t probes1 = net.a.tcp().ext[TcpExtMib::kTCPKeepAlive];
  pollfd pf{p.client, POLLIN, 0};
  net.RunUntil([&] { return sys::poll(&pf, 1, 0) == 1; }, absl::Seconds(60));
  EXPECT_EQ(net.now() - t0, absl::Milliseconds(30010));
  EXPECT_EQ(net.a.tcp().ext[TcpExtMib::kTCPKeepAlive] - probes1, 2u);
  EXPECT_EQ(GetSockInt(p.client, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
}

// ---------------------------------------------------------------------------
// SOL_TCP

TEST_F(SockoptTest, TcpNodelay_SmallWritesGoAtOnce) {
  TcpPair p = ConnectPair(net);
  // Nagle (tcp_nagle_test): a small segment waits while another small one
  // is unacknowledged.
  const uint64_t sent0 = DataSentA();
  ASSERT_EQ(sys::send(p.client, "a", 1, 0), 1);
  ASSERT_EQ(sys::send(p.client, "b", 1, 0), 1);
  EXPECT_EQ(DataSentA() - sent0, 1u);
  // Setting TCP_NODELAY pushes what waits (__tcp_sock_set_nodelay).
  ASSERT_EQ(SetSockInt(p.client, SOL_TCP, TCP_NODELAY, 1), 0);
  EXPECT_EQ(DataSentA() - sent0, 2u);
  ASSERT_EQ(sys::send(p.client, "c", 1, 0), 1);
  ASSERT_EQ(sys::send(p.client, "d", 1, 0), 1);
  EXPECT_EQ(DataSentA() - sent0, 4u);
  Run(absl::Milliseconds(50));
  EXPECT_EQ(ReadableB(p.server), 4);
}

TEST_F(SockoptTest, TcpCork_HoldsPartialSegmentsUntilFullOrUncorked) {
  TcpPair p = ConnectPair(net);
  ASSERT_EQ(SetSockInt(p.client, SOL_TCP, TCP_CORK, 1), 0);
  const std::string data = RandomBytes(kMss + 100, 1);
  const uint64_t sent0 = DataSentA();
  ASSERT_EQ(sys::send(p.client, data.data(), 100, 0), 100);
  Run(absl::Milliseconds(150));
  EXPECT_EQ(DataSentA() - sent0, 0u);  // corked: nothing
  // Filling a segment sends it; the rest waits.
  ASSERT_EQ(sys::send(p.client, data.data() + 100, kMss, 0), static_cast<ssize_t>(kMss));
  EXPECT_EQ(DataSentA() - sent0, 1u);
  Run(absl::Milliseconds(20));
  EXPECT_EQ(ReadableB(p.server), static_cast<int>(kMss));
  // Uncorking pushes the partial tail.
  ASSERT_EQ(SetSockInt(p.client, SOL_TCP, TCP_CORK, 0), 0);
  EXPECT_EQ(DataSentA() - sent0, 2u);
  Run(absl::Milliseconds(20));
  EXPECT_EQ(ReadableB(p.server), static_cast<int>(kMss) + 100);
}

// Linux: corked data is not held forever. With nothing in flight,
// __tcp_push_pending_frames arms the probe timer (tcp_check_probe_timer, at
// tcp_probe0_base = max(RTO, 200 ms)); tcp_probe_timer -> tcp_write_wakeup
// then sends the held segment. Measured on loopback (RTO 204 ms): a corked
// 100-byte write arrived after 205-211 ms.
TEST_F(SockoptTest, TcpCork_PartialSegmentLeavesAfterTheProbeTimer) {
  TcpPair p = ConnectPair(net);
  const absl::Duration rto = absl::Microseconds(Info(p.client).tcpi_rto);
  ASSERT_EQ(rto, absl::Milliseconds(210));
  ASSERT_EQ(SetSockInt(p.client, SOL_TCP, TCP_CORK, 1), 0);
  const uint64_t sent0 = DataSentA();
  ASSERT_EQ(sys::send(p.client, "corked", 6, 0), 6);
  Run(rto - absl::Milliseconds(1));
  EXPECT_EQ(DataSentA() - sent0, 0u);
  Run(absl::Milliseconds(1));
  EXPECT_EQ(DataSentA() - sent0, 1u);
  Run(absl::Milliseconds(10));
  EXPECT_EQ(ReadableB(p.server), 6);
}

TEST_F(SockoptTest, TcpKeepalive_RangesAndDefaults) {
  const int fd = Tcp();
  // Linux: tcp_keepalive_time/intvl/probes 7200/75/9.
  EXPECT_EQ(GetSockInt(fd, SOL_TCP, TCP_KEEPIDLE), 7200);
  EXPECT_EQ(GetSockInt(fd, SOL_TCP, TCP_KEEPINTVL), 75);
  EXPECT_EQ(GetSockInt(fd, SOL_TCP, TCP_KEEPCNT), 9);
  struct Range {
    int name, lo, hi;  // Linux: MAX_TCP_KEEPIDLE/KEEPINTVL 32767, MAX_TCP_KEEPCNT 127
  };
  for (const Range& r : {Range{TCP_KEEPIDLE, 1, 32767}, Range{TCP_KEEPINTVL, 1, 32767},
                         Range{TCP_KEEPCNT, 1, 127}}) {
    EXPECT_EQ(SetSockInt(fd, SOL_TCP, r.name, r.lo), 0);
    EXPECT_EQ(GetSockInt(fd, SOL_TCP, r.name), r.lo);
    EXPECT_EQ(SetSockInt(fd, SOL_TCP, r.name, r.hi), 0);
    EXPECT_EQ(GetSockInt(fd, SOL_TCP, r.name), r.hi);
    for (int bad : {r.lo - 1, r.hi + 1, -1}) {
      EXPECT_EQ(SetSockInt(fd, SOL_TCP, r.name, bad), EINVAL) << r.name << " = " << bad;
    }
    EXPECT_EQ(GetSockInt(fd, SOL_TCP, r.name), r.hi);  // a rejected value changes nothing
  }
}

TEST_F(SockoptTest, TcpMaxseg_RangeAndTheMssAdvertised) {
  const int fd = Tcp();
  EXPECT_EQ(GetSockInt(fd, SOL_TCP, TCP_MAXSEG), 536);  // Linux: TCP_MSS_DEFAULT before connect
  // Linux: 0 or TCP_MIN_MSS (88) .. MAX_TCP_WINDOW (32767).
  EXPECT_EQ(SetSockInt(fd, SOL_TCP, TCP_MAXSEG, 87), EINVAL);
  EXPECT_EQ(SetSockInt(fd, SOL_TCP, TCP_MAXSEG, 32768), EINVAL);
  EXPECT_EQ(SetSockInt(fd, SOL_TCP, TCP_MAXSEG, 88), 0);
  EXPECT_EQ(GetSockInt(fd, SOL_TCP, TCP_MAXSEG), 88);  // unconnected: the user's value
  EXPECT_EQ(SetSockInt(fd, SOL_TCP, TCP_MAXSEG, 32767), 0);
  EXPECT_EQ(SetSockInt(fd, SOL_TCP, TCP_MAXSEG, 0), 0);
  EXPECT_EQ(GetSockInt(fd, SOL_TCP, TCP_MAXSEG), 536);
  // Set before connect, it caps the MSS option of the SYN: the peer sends
  // at most 1000 - 12 (timestamps) per segment. Linux: both ends read 988.
  ASSERT_EQ(SetSockInt(fd, SOL_TCP, TCP_MAXSEG, 1000), 0);
  int l;
  {
    ProcessScope in(net.proc_b);
    l = Tcp();
    const sockaddr_in any = SockAddr(Ipv4Addr(), 8080);
    ASSERT_SYS_OK(sys::bind(l, Sa(any), sizeof(any)));
    ASSERT_SYS_OK(sys::listen(l, 4));
  }
  const sockaddr_in to = SockAddr(TwoHosts::AddrB(), 8080);
  ASSERT_SYS_OK(sys::connect(fd, Sa(to), sizeof(to)));
  Run(absl::Milliseconds(20));
  ProcessScope in(net.proc_b);
  const int s = sys::accept(l, nullptr, nullptr);
  ASSERT_GE(s, 0);
  EXPECT_EQ(Info(s).tcpi_snd_mss, 988u);
  EXPECT_EQ(GetSockInt(s, SOL_TCP, TCP_MAXSEG), 988);
  ProcessScope back(net.proc_a);
  EXPECT_EQ(GetSockInt(fd, SOL_TCP, TCP_MAXSEG), 988);
  EXPECT_EQ(Info(fd).tcpi_advmss, 988u);
}

// ---------------------------------------------------------------------------
// TCP_INFO (layout: tcp_info_layout_test.cc)

TEST_F(SockoptTest, TcpInfo_FreshSocket) {
  // Linux: CLOSE, RTO 1 s, MSS 536, cwnd 10, ssthresh "infinite", reordering
  // 3, rttvar from the initial mdev of 1 s (250000 = 1 s / 4).
  const TcpInfo i = Info(Tcp());
  EXPECT_EQ(i.tcpi_state, static_cast<uint8_t>(TcpState::kClose));
  EXPECT_EQ(i.tcpi_rto, 1000000u);
  EXPECT_EQ(i.tcpi_snd_mss, 536u);
  EXPECT_EQ(i.tcpi_snd_cwnd, 10u);
  EXPECT_EQ(i.tcpi_snd_ssthresh, kInfiniteSsthresh);
  EXPECT_EQ(i.tcpi_reordering, 3u);
  EXPECT_EQ(i.tcpi_rtt, 0u);
  EXPECT_EQ(i.tcpi_rttvar, 250000u);
  EXPECT_EQ(i.tcpi_options, 0u);
  EXPECT_EQ(i.tcpi_retransmits, 0u);
  EXPECT_EQ(i.tcpi_total_retrans, 0u);
  EXPECT_EQ(i.tcpi_min_rtt, UINT32_MAX);  // no sample yet
}

TEST_F(SockoptTest, TcpInfo_ListenerReportsQueueAndBacklog) {
  TcpPair p = ConnectPair(net);  // b's listener, backlog 16, its one connection taken
  {
    ProcessScope in(net.proc_a);
    const int c = sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const sockaddr_in to = SockAddr(TwoHosts::AddrB(), 8080);
    sys::connect(c, Sa(to), sizeof(to));
  }
  Run(absl::Milliseconds(50));
  // Linux (tcp_get_info): a listener fills state, ca_state, reordering and
  // cwnd, and reuses tcpi_unacked / tcpi_sacked for the accept queue length
  // and the backlog; the rest stays 0 (measured: rto 0, snd_mss 0, ssthresh 0).
  const TcpInfo i = InfoB(p.listener);
  EXPECT_EQ(i.tcpi_state, static_cast<uint8_t>(TcpState::kListen));
  EXPECT_EQ(i.tcpi_unacked, 1u);
  EXPECT_EQ(i.tcpi_sacked, 16u);
  EXPECT_EQ(i.tcpi_snd_cwnd, 10u);
  EXPECT_EQ(i.tcpi_reordering, 3u);
  EXPECT_EQ(i.tcpi_rto, 0u);
  EXPECT_EQ(i.tcpi_snd_mss, 0u);
  EXPECT_EQ(i.tcpi_snd_ssthresh, 0u);
}

TEST_F(SockoptTest, TcpInfo_EstablishedWithKnownRtt) {
  TcpPair p = ConnectPair(net);
  const TcpInfo i = Info(p.client);
  EXPECT_EQ(i.tcpi_state, static_cast<uint8_t>(TcpState::kEstablished));
  EXPECT_EQ(i.tcpi_options, TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
  // tcp_rmem[2] 6291456 needs a shift of 7, on both ends.
  EXPECT_EQ(i.tcpi_snd_wscale, 7u);
  EXPECT_EQ(i.tcpi_rcv_wscale, 7u);
  EXPECT_EQ(i.tcpi_snd_mss, kMss);
  EXPECT_EQ(i.tcpi_advmss, kMss);
  EXPECT_EQ(i.tcpi_rcv_mss, 536u);  // tcp_initialize_rcv_mss: at most TCP_MSS_DEFAULT at first
  EXPECT_EQ(i.tcpi_snd_ssthresh, kInfiniteSsthresh);
  // One RTT sample of 10 ms from the handshake (tcp_rtt_estimator's first
  // sample): srtt = 10 ms, mdev = 2 x RTT (rttvar reads mdev / 4 = 5 ms),
  // RTO = srtt + max(mdev, rto_min 200 ms) = 210 ms. (Linux rounds the
  // RTO up to whole jiffies: 204000 for a 35 us loopback RTT at HZ=250.)
  EXPECT_EQ(i.tcpi_rtt, 10000u);
  EXPECT_EQ(i.tcpi_rttvar, 5000u);
  EXPECT_EQ(i.tcpi_rto, 210000u);
  EXPECT_EQ(i.tcpi_min_rtt, 10000u);
  EXPECT_EQ(i.tcpi_retransmits, 0u);
  EXPECT_EQ(i.tcpi_total_retrans, 0u);
  EXPECT_EQ(i.tcpi_unacked, 0u);
  EXPECT_EQ(i.tcpi_ca_state, 0u);  // TCP_CA_Open
  // Linux (tcp_snd_una_update / tcp_rcv_nxt_update), measured: the client's
  // SYN counts as one byte acknowledged; nothing was received yet, and the
  // server's child starts from zero.
  EXPECT_EQ(i.tcpi_bytes_acked, 1u);
  EXPECT_EQ(i.tcpi_bytes_received, 0u);
  EXPECT_EQ(InfoB(p.server).tcpi_bytes_acked, 0u);
  // Full-sized segments from the peer raise the receive MSS estimate
  // (tcp_measure_rcv_mss).
  const std::string down = RandomBytes(3 * kMss, 2);
  {
    ProcessScope in(net.proc_b);
    ASSERT_EQ(sys::send(p.server, down.data(), down.size(), 0), static_cast<ssize_t>(down.size()));
  }
  Run(absl::Milliseconds(50));
  const TcpInfo after = Info(p.client);
  EXPECT_EQ(after.tcpi_rcv_mss, kMss);
  EXPECT_EQ(after.tcpi_bytes_received, down.size());
  EXPECT_EQ(InfoB(p.server).tcpi_bytes_acked, down.size());
}

// Linux: the ACK of the SYN does not grow cwnd: the window was not the
// limit (tcp_is_cwnd_limited: 10 < 2 x max_packets_out of 1 is false), so
// both ends read 10 after the handshake (measured on loopback). usnet
// tracks it as tcp_cwnd_validate does (TcpSock::CwndValidate).
TEST_F(SockoptTest, TcpInfo_CwndAfterHandshakeIsTheInitialWindow) {
  TcpPair p = ConnectPair(net);
  EXPECT_EQ(Info(p.client).tcpi_snd_cwnd, 10u);
  EXPECT_EQ(InfoB(p.server).tcpi_snd_cwnd, 10u);
}

TEST_F(SockoptTest, TcpInfo_CountsARetransmissionTimeout) {
  TcpPair p = ConnectPair(net);
  const absl::Duration rto = absl::Microseconds(Info(p.client).tcpi_rto);
  ASSERT_EQ(rto, absl::Milliseconds(210));
  // Lose everything a sends: the segment and its first retransmission.
  fault_a_->tx_config().loss = 1.0;
  ASSERT_EQ(sys::send(p.client, "lost", 4, 0), 4);
  Run(rto + absl::Milliseconds(1));
  TcpInfo i = Info(p.client);
  EXPECT_EQ(i.tcpi_retransmits, 1u);  // icsk_retransmits: RTOs in a row
  EXPECT_EQ(i.tcpi_backoff, 1u);
  EXPECT_EQ(i.tcpi_total_retrans, 1u);
  EXPECT_EQ(i.tcpi_ca_state, 4u);  // TCP_CA_Loss
  EXPECT_EQ(i.tcpi_unacked, 1u);
  EXPECT_EQ(i.tcpi_snd_cwnd, 1u);
  EXPECT_EQ(i.tcpi_snd_ssthresh, 7u);  // cubic: max(10 x 717 / 1024, 2)
  EXPECT_EQ(i.tcpi_rto, 2 * 210000u);  // backed off
  // The link heals; the second retransmission (one doubled RTO later) gets
  // through and is acknowledged.
  fault_a_->tx_config().loss = 0;
  Run(2 * rto + absl::Milliseconds(20));
  i = Info(p.client);
  EXPECT_EQ(i.tcpi_retransmits, 0u);
  EXPECT_EQ(i.tcpi_backoff, 0u);
  EXPECT_EQ(i.tcpi_total_retrans, 2u);
  EXPECT_EQ(i.tcpi_unacked, 0u);
  EXPECT_EQ(i.tcpi_bytes_retrans, 8u);
  EXPECT_EQ(ReadableB(p.server), 4);
}

TEST_F(SockoptTest, TcpInfo_OptionBitsFollowTheHandshake) {
  // a offers none of timestamps, SACK or window scaling.
  TcpConfig& c = net.a.tcp().config();
  c.tcp_timestamps = 0;
  c.tcp_sack = 0;
  c.tcp_window_scaling = 0;
  TcpPair p = ConnectPair(net);
  const TcpInfo i = Info(p.client);
  EXPECT_EQ(i.tcpi_options, 0u);
  EXPECT_EQ(i.tcpi_snd_wscale, 0u);
  EXPECT_EQ(i.tcpi_rcv_wscale, 0u);
  EXPECT_EQ(i.tcpi_snd_mss, 1460u);  // no timestamp option to make room for
  EXPECT_EQ(i.tcpi_advmss, 1460u);
  EXPECT_EQ(InfoB(p.server).tcpi_options, 0u);
}

TEST_F(SockoptTest, TcpInfo_ShortBufferIsTruncatedLikeLinux) {
  const int fd = Tcp();
  unsigned char buf[512];
  std::memset(buf, 0x55, sizeof(buf));
  socklen_t n = 3;
  ASSERT_SYS_OK(sys::getsockopt(fd, SOL_TCP, TCP_INFO, buf, &n));
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(buf[0], static_cast<uint8_t>(TcpState::kClose));
  EXPECT_EQ(buf[3], 0x55);  // untouched beyond the length
  n = 0;
  ASSERT_SYS_OK(sys::getsockopt(fd, SOL_TCP, TCP_INFO, buf, &n));
  EXPECT_EQ(n, 0u);
  // glibc's <netinet/tcp.h> struct (104 bytes) gets its prefix; a larger
  // buffer gets Linux 6.18's 280 bytes (measured with a 512-byte buffer).
  n = sizeof(tcp_info);
  ASSERT_EQ(sizeof(tcp_info), 104u);
  ASSERT_SYS_OK(sys::getsockopt(fd, SOL_TCP, TCP_INFO, buf, &n));
  EXPECT_EQ(n, sizeof(tcp_info));
  tcp_info glibc;
  std::memcpy(&glibc, buf, sizeof(glibc));
  EXPECT_EQ(glibc.tcpi_rto, 1000000u);
  EXPECT_EQ(glibc.tcpi_snd_cwnd, 10u);
  n = sizeof(buf);
  ASSERT_SYS_OK(sys::getsockopt(fd, SOL_TCP, TCP_INFO, buf, &n));
  EXPECT_EQ(n, 280u);
  EXPECT_EQ(buf[280], 0x55);
}

}  // namespace
}  // namespace usnet
