// errno conformance of the embedded socket API: one test per row of
// DESIGN.md section 9, then the errnos Linux gives for bad arguments.
//
// Every expectation here was checked against Linux 6.18 on this machine
// with a throwaway C program doing the same calls on loopback sockets in a
// fresh network namespace. Where Linux differs from what one might expect
// (or from DESIGN.md), the comment says "Linux:" and gives the measured
// answer, which is what usnet must return.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include <csignal>

#include "gtest/gtest.h"
#include "net/ipv4/tcp.h"
#include "syscalls/socket_api.h"
#include "tests/support/sys_expect.h"
#include "tests/support/tcp_pair.h"

namespace usnet {
namespace {

using namespace testing;  // NOLINT

// Counts SIGPIPEs raised while alive (the shim raises it synchronously on
// the calling thread, as Linux's send_sig does before the call returns).
class SigpipeCounter {
 public:
  SigpipeCounter() {
    count_ = 0;
    struct sigaction sa {};
    sa.sa_handler = [](int) { count_ = count_ + 1; };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, &old_);
  }
  ~SigpipeCounter() { sigaction(SIGPIPE, &old_, nullptr); }
  int count() const { return count_; }

 private:
  static inline volatile sig_atomic_t count_ = 0;
  struct sigaction old_ {};
};

// Two hosts; calls go to host a (10.0.0.1) unless a test enters b.
class ErrnoTest : public ::testing::Test {
 protected:
  static constexpr uint16_t kClosedPort = 9;

  int Tcp(int flags = 0) { return sys::socket(AF_INET, SOCK_STREAM | flags, 0); }
  int Udp() { return sys::socket(AF_INET, SOCK_DGRAM, 0); }
  static sockaddr_in A(uint16_t port) { return SockAddr(TwoHosts::AddrA(), port); }
  static sockaddr_in B(uint16_t port) { return SockAddr(TwoHosts::AddrB(), port); }
  void SetInt(int fd, int level, int name, int v) { ASSERT_EQ(SetSockInt(fd, level, name, v), 0); }
  int GetInt(int fd, int level, int name) { return GetSockInt(fd, level, name); }
  // A listener on b:port (in b's process).
  int ListenB(uint16_t port, int backlog, int sockopt = 0) {
    ProcessScope in(net.proc_b);
    int l = Tcp();
    if (sockopt != 0) SetInt(l, SOL_SOCKET, sockopt, 1);
    sockaddr_in any = SockAddr(Ipv4Addr(), port);
    EXPECT_SYS_OK(sys::bind(l, Sa(any), sizeof(any)));
    EXPECT_SYS_OK(sys::listen(l, backlog));
    return l;
  }
  // Connects a blocking client on a to b:port; the loop runs inside connect.
  int ConnectA(uint16_t port) {
    int c = Tcp();
    sockaddr_in to = B(port);
    EXPECT_SYS_OK(sys::connect(c, Sa(to), sizeof(to)));
    return c;
  }
  int AcceptB(int l) {
    ProcessScope in(net.proc_b);
    return sys::accept(l, nullptr, nullptr);
  }
  // A connected pair with blocking descriptors: p.client on a, p.server on b.
  TcpPair BlockingPair() {
    TcpPair p = ConnectPair(net);
    sys::fcntl(p.client, F_SETFL, 0);
    ProcessScope in(net.proc_b);
    sys::fcntl(p.server, F_SETFL, 0);
    return p;
  }
  void Run(absl::Duration d = absl::Milliseconds(50)) { net.RunFor(d); }
  // A nonblocking connect to b's closed port, after b's RST came back.
  int RefusedNonblocking() {
    const int c = Tcp(SOCK_NONBLOCK);
    const sockaddr_in to = B(kClosedPort);
    EXPECT_SYS_ERR(sys::connect(c, Sa(to), sizeof(to)), EINPROGRESS);
    Run();
    return c;
  }
  // close() on b with SO_LINGER {1, 0}: an abortive close, so the peer gets RST.
  void AbortB(int fd) {
    ProcessScope in(net.proc_b);
    linger lg{1, 0};
    ASSERT_SYS_OK(sys::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
    ASSERT_SYS_OK(sys::close(fd));
  }

  TwoHosts net;
  ProcessScope in_a_{net.proc_a};
  char buf_[256] = {};
};

// ---------------------------------------------------------------------------
// DESIGN.md section 9, row by row.

TEST_F(ErrnoTest, Row_BindTwice_EINVAL) {
  for (int fd : {Tcp(), Udp()}) {
    sockaddr_in a1 = A(5001), a2 = A(5002);
    ASSERT_SYS_OK(sys::bind(fd, Sa(a1), sizeof(a1)));
    EXPECT_SYS_ERR(sys::bind(fd, Sa(a2), sizeof(a2)), EINVAL);
    EXPECT_SYS_ERR(sys::bind(fd, Sa(a1), sizeof(a1)), EINVAL);
    sys::close(fd);
  }
}

TEST_F(ErrnoTest, Row_BindInUse_EADDRINUSE) {
  for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
    int fd = sys::socket(AF_INET, type, 0);
    sockaddr_in a = A(5001);
    ASSERT_SYS_OK(sys::bind(fd, Sa(a), sizeof(a)));  // bound, not listening
    int fd2 = sys::socket(AF_INET, type, 0);
    EXPECT_SYS_ERR(sys::bind(fd2, Sa(a), sizeof(a)), EADDRINUSE);
    sockaddr_in any = SockAddr(Ipv4Addr(), 5001);  // the wildcard overlaps too
    EXPECT_SYS_ERR(sys::bind(fd2, Sa(any), sizeof(any)), EADDRINUSE);
    sys::close(fd);
    EXPECT_SYS_OK(sys::bind(fd2, Sa(a), sizeof(a)));  // free again once closed
    sys::close(fd2);
  }
}

TEST_F(ErrnoTest, Row_BindNonLocal_EADDRNOTAVAIL) {
  for (int fd : {Tcp(), Udp()}) {
    sockaddr_in other = SockAddr(Ipv4Addr::FromOctets(10, 99, 99, 99), 5003);
    EXPECT_SYS_ERR(sys::bind(fd, Sa(other), sizeof(other)), EADDRNOTAVAIL);
    sockaddr_in peer = B(5003);  // b's address is not a's
    EXPECT_SYS_ERR(sys::bind(fd, Sa(peer), sizeof(peer)), EADDRNOTAVAIL);
  }
}

TEST_F(ErrnoTest, Row_AcceptOnNonListening_EINVAL) {
  int fresh = Tcp();
  EXPECT_SYS_ERR(sys::accept(fresh, nullptr, nullptr), EINVAL);
  int bound = Tcp();
  sockaddr_in a = A(5004);
  ASSERT_SYS_OK(sys::bind(bound, Sa(a), sizeof(a)));
  EXPECT_SYS_ERR(sys::accept(bound, nullptr, nullptr), EINVAL);
  TcpPair p = ConnectPair(net);
  EXPECT_SYS_ERR(sys::accept(p.client, nullptr, nullptr), EINVAL);
  // Linux: a datagram socket has no accept at all (sock_no_accept).
  EXPECT_SYS_ERR(sys::accept(Udp(), nullptr, nullptr), EOPNOTSUPP);
}

TEST_F(ErrnoTest, Row_NonblockingAcceptEmpty_EAGAIN) {
  int l = ListenB(8080, 4);
  ProcessScope in(net.proc_b);
  ASSERT_SYS_OK(sys::fcntl(l, F_SETFL, O_NONBLOCK));
  EXPECT_SYS_ERR(sys::accept(l, nullptr, nullptr), EAGAIN);
  EXPECT_SYS_ERR(sys::accept4(l, nullptr, nullptr, SOCK_NONBLOCK), EAGAIN);
  // A blocking accept with SO_RCVTIMEO gives up the same way, after the timeout.
  ASSERT_SYS_OK(sys::fcntl(l, F_SETFL, 0));
  timeval tv{0, 100000};
  ASSERT_SYS_OK(sys::setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
  const absl::Time t0 = net.now();
  EXPECT_SYS_ERR(sys::accept(l, nullptr, nullptr), EAGAIN);
  EXPECT_EQ(net.now() - t0, absl::Milliseconds(100));
}

TEST_F(ErrnoTest, Row_ConnectToClosedPort_ECONNREFUSED) {
  int c = Tcp();
  sockaddr_in to = B(kClosedPort);
  EXPECT_SYS_ERR(sys::connect(c, Sa(to), sizeof(to)), ECONNREFUSED);
  // Linux: the socket is unconnected again, so a second try is a new attempt.
  EXPECT_SYS_ERR(sys::connect(c, Sa(to), sizeof(to)), ECONNREFUSED);
}

TEST_F(ErrnoTest, Row_ConnectToClosedPort_Nonblocking_SoErrorThenECONNABORTED) {
  const int c = RefusedNonblocking();
  const sockaddr_in to = B(kClosedPort);
  // Linux: POLLOUT|POLLERR|POLLHUP for POLLOUT, and with POLLIN|POLLRDHUP
  // asked for too, those as well (tcp_done shut both directions).
  pollfd p{c, POLLOUT, 0};
  ASSERT_EQ(sys::poll(&p, 1, 0), 1);
  EXPECT_EQ(p.revents, POLLOUT | POLLERR | POLLHUP);
  p.events = POLLIN | POLLOUT | POLLRDHUP;
  ASSERT_EQ(sys::poll(&p, 1, 0), 1);
  EXPECT_EQ(p.revents, POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
  EXPECT_EQ(GetInt(c, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
  EXPECT_EQ(GetInt(c, SOL_SOCKET, SO_ERROR), 0);  // reading cleared it
  // Linux (__inet_stream_connect, sock_error): still SS_CONNECTING with
  // sk_state CLOSE and no error left -> ECONNABORTED, and unconnected after.
  EXPECT_SYS_ERR(sys::connect(c, Sa(to), sizeof(to)), ECONNABORTED);
  EXPECT_SYS_ERR(sys::connect(c, Sa(to), sizeof(to)), EINPROGRESS);
}

TEST_F(ErrnoTest, Row_RecvOnRefusedSocket_ECONNREFUSEDThenZero) {
  const int c = RefusedNonblocking();
  EXPECT_SYS_ERR(sys::recv(c, buf_, sizeof(buf_), 0), ECONNREFUSED);
  EXPECT_EQ(sys::recv(c, buf_, sizeof(buf_), 0), 0);  // Linux: RCV_SHUTDOWN after tcp_done
}

// A listener with backlog 0 holds one connection; with that one not
// accepted, the accept queue is full and further SYNs are dropped, so a
// connect stays in SYN_SENT (the same trick works on Linux loopback).
class UnansweredSynTest : public ErrnoTest {
 protected:
  void SetUp() override {
    listener_ = ListenB(8080, 0);
    filler_ = ConnectA(8080);
  }
  int listener_ = -1, filler_ = -1;
};

TEST_F(UnansweredSynTest, Row_NonblockingConnect_EINPROGRESSThenEALREADY) {
  int c = Tcp(SOCK_NONBLOCK);
  sockaddr_in to = B(8080);
  EXPECT_SYS_ERR(sys::connect(c, Sa(to), sizeof(to)), EINPROGRESS);
  EXPECT_SYS_ERR(sys::connect(c, Sa(to), sizeof(to)), EALREADY);
  Run(absl::Seconds(3));  // SYNs retransmitted, still unanswered
  EXPECT_GE(net.a.tcp().ext[TcpExtMib::kTCPSynRetrans], 1u);
  EXPECT_SYS_ERR(sys::connect(c, Sa(to), sizeof(to)), EALREADY);
  // Linux: while connecting, recv and send would block and there is no peer name.
  EXPECT_SYS_ERR(sys::recv(c, buf_, 8, 0), EAGAIN);
  EXPECT_SYS_ERR(sys::send(c, "x", 1, 0), EAGAIN);
  sockaddr_in peer{};
  socklen_t n = sizeof(peer);
  EXPECT_SYS_ERR(sys::getpeername(c, reinterpret_cast<sockaddr*>(&peer), &n), ENOTCONN);
  // Linux: shutdown of a connecting socket disconnects it (returns 0); a
  // connect after that starts over.
  EXPECT_SYS_OK(sys::shutdown(c, SHUT_WR));
  EXPECT_SYS_ERR(sys::connect(c, Sa(to), sizeof(to)), EINPROGRESS);
}

TEST_F(UnansweredSynTest, Row_ConnectTimeout_ETIMEDOUT) {
  // Linux 6.18 (tcp_syn_retries 6 + tcp_syn_linear_timeouts 4): SYN
  // retransmissions 1 s apart for the first 5, then doubling: SYNs at
  // 0,1,2,3,4,5,7,11,19,35,67 s; tcp_write_timeout gives up when the RTO
  // after the 10th retransmission (64 s) expires: ETIMEDOUT at 131 s. The
  // pre-6.5 figure of 127 s (1+2+...+64) lacks the linear part. Measured
  // here on loopback: ETIMEDOUT after 134.07 s, as in DESIGN.md (~134 s);
  // the extra 3 s is Linux's timer wheel rounding long timers up to its
  // coarser levels (64 and 512 jiffies at HZ=250). usnet's wheel fires
  // exactly (kernel/timer_wheel.h), so 131 s here.
  int c = Tcp();
  sockaddr_in to = B(8080);
  const absl::Time t0 = net.now();
  const uint64_t retrans0 = net.a.tcp().ext[TcpExtMib::kTCPSynRetrans];
  EXPECT_SYS_ERR(sys::connect(c, Sa(to), sizeof(to)), ETIMEDOUT);
  EXPECT_EQ(absl::ToInt64Seconds(net.now() - t0), 131);
  EXPECT_EQ(net.a.tcp().ext[TcpExtMib::kTCPSynRetrans] - retrans0, 10u);
  EXPECT_EQ(GetInt(c, SOL_SOCKET, SO_ERROR), 0);  // connect() consumed it
}

TEST_F(ErrnoTest, Row_ConnectWhenConnected_EISCONN) {
  TcpPair p = ConnectPair(net);  // a nonblocking connect that has completed
  sockaddr_in to = B(8080), other = B(8081);
  // Linux: the first connect() after a nonblocking one completed reports
  // success (SS_CONNECTING -> SS_CONNECTED); only later calls say EISCONN.
  EXPECT_SYS_OK(sys::connect(p.client, Sa(to), sizeof(to)));
  EXPECT_SYS_ERR(sys::connect(p.client, Sa(to), sizeof(to)), EISCONN);
  EXPECT_SYS_ERR(sys::connect(p.client, Sa(other), sizeof(other)), EISCONN);
  int c = ConnectA(8080);  // blocking: connected when connect() returns
  EXPECT_SYS_ERR(sys::connect(c, Sa(to), sizeof(to)), EISCONN);
  ProcessScope in(net.proc_b);
  sockaddr_in back = A(1234);
  EXPECT_SYS_ERR(sys::connect(p.server, Sa(back), sizeof(back)), EISCONN);    // accepted
  EXPECT_SYS_ERR(sys::connect(p.listener, Sa(back), sizeof(back)), EISCONN);  // Linux: listener too
}

TEST_F(ErrnoTest, Row_RecvAfterFin_ReturnsZero) {
  TcpPair p = BlockingPair();
  ASSERT_EQ(sys::send(p.client, "bye", 3, 0), 3);
  ASSERT_SYS_OK(sys::shutdown(p.client, SHUT_WR));
  Run();
  ProcessScope in(net.proc_b);
  EXPECT_EQ(sys::recv(p.server, buf_, sizeof(buf_), 0), 3);  // data first
  EXPECT_EQ(sys::recv(p.server, buf_, sizeof(buf_), 0), 0);  // then end of stream, without blocking
  EXPECT_EQ(sys::recv(p.server, buf_, sizeof(buf_), 0), 0);  // and again
  EXPECT_EQ(sys::read(p.server, buf_, sizeof(buf_)), 0);
}

TEST_F(ErrnoTest, Row_ShutdownUnconnected_ENOTCONN) {
  for (int how : {SHUT_RD, SHUT_WR, SHUT_RDWR}) {
    EXPECT_SYS_ERR(sys::shutdown(Tcp(), how), ENOTCONN);
    EXPECT_SYS_ERR(sys::shutdown(Udp(), how), ENOTCONN);
  }
}

TEST_F(ErrnoTest, Row_WriteAfterRstWhileEstablished_ECONNRESETThenEPIPE) {
  TcpPair p = BlockingPair();
  AbortB(p.server);
  p.server = -1;
  Run();
  SigpipeCounter sigpipe;
  // tcp_reset in ESTABLISHED sets sk_err = ECONNRESET; the first write
  // reports that (sk_stream_error: no SIGPIPE for it)...
  EXPECT_SYS_ERR(sys::write(p.client, "x", 1), ECONNRESET);
  EXPECT_EQ(sigpipe.count(), 0);
  // ...and every later one EPIPE, with SIGPIPE unless MSG_NOSIGNAL.
  EXPECT_SYS_ERR(sys::write(p.client, "x", 1), EPIPE);
  EXPECT_EQ(sigpipe.count(), 1);
  EXPECT_SYS_ERR(sys::send(p.client, "x", 1, MSG_NOSIGNAL), EPIPE);
  EXPECT_EQ(sigpipe.count(), 1);
  EXPECT_EQ(sys::recv(p.client, buf_, 1, 0), 0);  // Linux: the error was consumed; end of stream
}

TEST_F(ErrnoTest, Row_ReadAfterRstWhileEstablished_ECONNRESETOnce) {
  TcpPair p = BlockingPair();
  AbortB(p.server);
  p.server = -1;
  Run();
  SigpipeCounter sigpipe;
  EXPECT_SYS_ERR(sys::recv(p.client, buf_, 1, 0), ECONNRESET);
  EXPECT_EQ(sys::recv(p.client, buf_, 1, 0), 0);
  EXPECT_SYS_ERR(sys::write(p.client, "x", 1), EPIPE);  // the reset was reported by recv
  EXPECT_EQ(sigpipe.count(), 1);
}

TEST_F(ErrnoTest, Row_WriteAfterRstInCloseWait_EPIPEAndSigpipe) {
  TcpPair p = BlockingPair();
  {
    ProcessScope in(net.proc_b);
    ASSERT_SYS_OK(sys::close(p.server));  // FIN: the client is in CLOSE_WAIT
    p.server = -1;
  }
  Run();
  SigpipeCounter sigpipe;
  EXPECT_EQ(sys::write(p.client, "x", 1), 1);  // accepted; the closed peer answers RST
  Run();
  // tcp_reset in CLOSE_WAIT sets sk_err = EPIPE: SIGPIPE from the first write.
  EXPECT_SYS_ERR(sys::write(p.client, "x", 1), EPIPE);
  EXPECT_EQ(sigpipe.count(), 1);
  EXPECT_SYS_ERR(sys::send(p.client, "x", 1, MSG_NOSIGNAL), EPIPE);
  EXPECT_EQ(sigpipe.count(), 1);
  EXPECT_EQ(sys::recv(p.client, buf_, 1, 0), 0);
}

TEST_F(ErrnoTest, Row_CloseWithUnreadData_SendsRst) {
  TcpPair p = BlockingPair();
  ASSERT_EQ(sys::send(p.client, "abc", 3, 0), 3);
  Run();
  const uint64_t rsts = net.b.tcp().mib[TcpMib::kOutRsts];
  {
    ProcessScope in(net.proc_b);
    ASSERT_SYS_OK(sys::close(p.server));  // 3 bytes never read
    p.server = -1;
  }
  Run();
  EXPECT_EQ(net.b.tcp().mib[TcpMib::kOutRsts], rsts + 1);
  EXPECT_EQ(net.b.tcp().ext[TcpExtMib::kTCPAbortOnClose], 1u);
  EXPECT_EQ(net.b.tcp().timewait_count(), 0u);  // aborted, not closed
  EXPECT_SYS_ERR(sys::recv(p.client, buf_, sizeof(buf_), 0), ECONNRESET);
}

TEST_F(ErrnoTest, Row_SoLingerZero_SendsRst) {
  TcpPair p = BlockingPair();
  const uint64_t rsts = net.b.tcp().mib[TcpMib::kOutRsts];
  AbortB(p.server);
  p.server = -1;
  Run();
  EXPECT_EQ(net.b.tcp().mib[TcpMib::kOutRsts], rsts + 1);
  EXPECT_EQ(net.b.tcp().ext[TcpExtMib::kTCPAbortOnData], 1u);  // Linux counts linger-0 here
  EXPECT_EQ(net.b.tcp().timewait_count(), 0u);
  EXPECT_SYS_ERR(sys::recv(p.client, buf_, sizeof(buf_), 0), ECONNRESET);
}

class ReuseaddrTest : public ErrnoTest,
                      public ::testing::WithParamInterface<std::tuple<bool, bool>> {
 protected:
  // b's side of a connection to b:port closes first, so b's port sits in
  // TIME_WAIT; the listener (SO_REUSEADDR = old_reuse) is closed too.
  void LeaveTimeWait(uint16_t port, bool old_reuse) {
    int l = ListenB(port, 4, old_reuse ? SO_REUSEADDR : 0);
    int c = ConnectA(port);
    int s = AcceptB(l);
    {
      ProcessScope in(net.proc_b);
      ASSERT_SYS_OK(sys::close(l));
      ASSERT_SYS_OK(sys::close(s));
    }
    Run();
    ASSERT_SYS_OK(sys::close(c));
    Run();
    ASSERT_EQ(net.b.tcp().timewait_count(), 1u);
  }
};

TEST_P(ReuseaddrTest, Row_SoReuseaddr_BindOverTimeWait) {
  // Linux (inet_bind_conflict): a TIME_WAIT socket yields its port only if
  // both it (tw_reuse, from the socket that closed) and the new socket have
  // SO_REUSEADDR; measured: EADDRINUSE in the other three cases.
  const auto [old_reuse, new_reuse] = GetParam();
  LeaveTimeWait(8080, old_reuse);
  ProcessScope in(net.proc_b);
  int fd = Tcp();
  if (new_reuse) SetInt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  sockaddr_in any = SockAddr(Ipv4Addr(), 8080);
  if (old_reuse && new_reuse) {
    EXPECT_SYS_OK(sys::bind(fd, Sa(any), sizeof(any)));
    EXPECT_SYS_OK(sys::listen(fd, 4));
  } else {
    EXPECT_SYS_ERR(sys::bind(fd, Sa(any), sizeof(any)), EADDRINUSE);
  }
}

INSTANTIATE_TEST_SUITE_P(OldNewReuse, ReuseaddrTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()));

TEST_F(ErrnoTest, Row_SoReuseaddr_DoesNotShareALiveListener) {
  ListenB(8080, 4, SO_REUSEADDR);
  ProcessScope in(net.proc_b);
  int fd = Tcp();
  SetInt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  sockaddr_in any = SockAddr(Ipv4Addr(), 8080);
  EXPECT_SYS_ERR(sys::bind(fd, Sa(any), sizeof(any)), EADDRINUSE);
  // Linux: two SO_REUSEADDR sockets may both bind while neither listens, but
  // only one of them may then listen.
  int x = Tcp(), y = Tcp();
  SetInt(x, SOL_SOCKET, SO_REUSEADDR, 1);
  SetInt(y, SOL_SOCKET, SO_REUSEADDR, 1);
  sockaddr_in port = SockAddr(Ipv4Addr(), 8090);
  EXPECT_SYS_OK(sys::bind(x, Sa(port), sizeof(port)));
  EXPECT_SYS_OK(sys::bind(y, Sa(port), sizeof(port)));
  EXPECT_SYS_OK(sys::listen(x, 4));
  EXPECT_SYS_ERR(sys::listen(y, 4), EADDRINUSE);
}

TEST_F(ErrnoTest, Row_SoReuseport_ListenersShare) {
  const int l1 = ListenB(8080, 32, SO_REUSEPORT);
  const int l2 = ListenB(8080, 32, SO_REUSEPORT);
  {
    ProcessScope in(net.proc_b);
    int l3 = Tcp();  // without SO_REUSEPORT: no share
    sockaddr_in any = SockAddr(Ipv4Addr(), 8080);
    EXPECT_SYS_ERR(sys::bind(l3, Sa(any), sizeof(any)), EADDRINUSE);
  }
  constexpr int kConns = 16;
  for (int i = 0; i < kConns; ++i) ConnectA(8080);
  Run();  // the last handshake's ACK reaches b
  int got[2] = {0, 0};
  ProcessScope in(net.proc_b);
  for (int i = 0; i < 2; ++i) {
    const int l = i == 0 ? l1 : l2;
    sys::fcntl(l, F_SETFL, O_NONBLOCK);
    while (sys::accept(l, nullptr, nullptr) >= 0) ++got[i];
  }
  // Linux spreads connections by a hash of the 4-tuple (measured 8 + 8 for
  // 16 loopback connections): every connection lands, on both listeners.
  EXPECT_EQ(got[0] + got[1], kConns);
  EXPECT_GT(got[0], 0);
  EXPECT_GT(got[1], 0);
}

// ---------------------------------------------------------------------------
// Bad arguments.

TEST_F(ErrnoTest, BadDescriptor_EBADF) {
  sockaddr_in a = A(5001);
  int v = 1;
  socklen_t n = sizeof(v);
  for (int fd : {-1, 999}) {
    EXPECT_SYS_ERR(sys::bind(fd, Sa(a), sizeof(a)), EBADF);
    EXPECT_SYS_ERR(sys::connect(fd, Sa(a), sizeof(a)), EBADF);
    EXPECT_SYS_ERR(sys::listen(fd, 1), EBADF);
    EXPECT_SYS_ERR(sys::accept(fd, nullptr, nullptr), EBADF);
    // Linux: EBADF before the missing length is noticed.
    EXPECT_SYS_ERR(sys::accept(fd, reinterpret_cast<sockaddr*>(&a), nullptr), EBADF);
    EXPECT_SYS_ERR(sys::send(fd, "x", 1, 0), EBADF);
    EXPECT_SYS_ERR(sys::recv(fd, buf_, 1, 0), EBADF);
    EXPECT_SYS_ERR(sys::shutdown(fd, SHUT_RD), EBADF);
    EXPECT_SYS_ERR(sys::getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &n), EBADF);
    EXPECT_SYS_ERR(sys::setsockopt(fd, 9999, 1, &v, sizeof(v)), EBADF);  // before the level check
    EXPECT_SYS_ERR(sys::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n), EBADF);
    EXPECT_SYS_ERR(sys::getpeername(fd, nullptr, nullptr), EBADF);
    EXPECT_SYS_ERR(sys::fcntl(fd, F_GETFL), EBADF);
    EXPECT_SYS_ERR(sys::ioctl(fd, FIONBIO, &v), EBADF);
    EXPECT_SYS_ERR(sys::close(fd), EBADF);
  }
  int fd = Tcp();
  ASSERT_SYS_OK(sys::close(fd));
  EXPECT_SYS_ERR(sys::close(fd), EBADF);  // closed twice
  EXPECT_SYS_ERR(sys::send(fd, "x", 1, 0), EBADF);
  pollfd p{999, POLLIN, 0};
  EXPECT_EQ(sys::poll(&p, 1, 0), 1);
  EXPECT_EQ(p.revents, POLLNVAL);
}

TEST_F(ErrnoTest, NotASocket_ENOTSOCK) {
  // The only non-socket descriptor usnet has is an epoll instance.
  const int ep = sys::epoll_create1(0);
  sockaddr_in a = A(5001);
  socklen_t n = sizeof(a);
  int v = 0;
  EXPECT_SYS_ERR(sys::bind(ep, Sa(a), sizeof(a)), ENOTSOCK);
  EXPECT_SYS_ERR(sys::connect(ep, Sa(a), sizeof(a)), ENOTSOCK);
  EXPECT_SYS_ERR(sys::listen(ep, 1), ENOTSOCK);
  EXPECT_SYS_ERR(sys::accept(ep, nullptr, nullptr), ENOTSOCK);
  EXPECT_SYS_ERR(sys::send(ep, "x", 1, 0), ENOTSOCK);
  EXPECT_SYS_ERR(sys::recv(ep, buf_, 1, MSG_DONTWAIT), ENOTSOCK);
  EXPECT_SYS_ERR(sys::shutdown(ep, SHUT_RD), ENOTSOCK);
  EXPECT_SYS_ERR(sys::getsockopt(ep, SOL_SOCKET, SO_TYPE, &v, &n), ENOTSOCK);
  EXPECT_SYS_ERR(sys::setsockopt(ep, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), ENOTSOCK);
  EXPECT_SYS_ERR(sys::getsockname(ep, reinterpret_cast<sockaddr*>(&a), &n), ENOTSOCK);
  EXPECT_SYS_ERR(sys::getpeername(ep, reinterpret_cast<sockaddr*>(&a), &n), ENOTSOCK);
  // File-level calls still work on it.
  EXPECT_EQ(sys::fcntl(ep, F_GETFL), O_RDWR);
  EXPECT_SYS_OK(sys::ioctl(ep, FIONBIO, &v));
}

TEST_F(ErrnoTest, Socket_BadFamily_EAFNOSUPPORT) {
  EXPECT_SYS_ERR(sys::socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
  EXPECT_SYS_ERR(sys::socket(AF_UNSPEC, SOCK_STREAM, 0), EAFNOSUPPORT);
  EXPECT_SYS_ERR(sys::socket(12345, 99, 0), EINVAL);  // Linux: the type is checked first
}

TEST_F(ErrnoTest, Socket_BadType_EINVALOrESOCKTNOSUPPORT) {
  // Linux (__sock_create): a type >= SOCK_MAX or unknown flags is EINVAL;
  // inet_create: a type no inet protocol serves is ESOCKTNOSUPPORT.
  EXPECT_SYS_ERR(sys::socket(AF_INET, 99, 0), EINVAL);
  EXPECT_SYS_ERR(sys::socket(AF_INET, SOCK_STREAM | 0x100, 0), EINVAL);
  EXPECT_SYS_ERR(sys::socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
  EXPECT_SYS_ERR(sys::socket(AF_INET, SOCK_RDM, 0), ESOCKTNOSUPPORT);
  EXPECT_SYS_ERR(sys::socket(AF_INET, 7, 0), ESOCKTNOSUPPORT);
  EXPECT_SYS_ERR(sys::socket(AF_INET, SOCK_DCCP, 0), ESOCKTNOSUPPORT);
}

TEST_F(ErrnoTest, Socket_BadProtocol_EPROTONOSUPPORTOrEINVAL) {
  EXPECT_SYS_ERR(sys::socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
  EXPECT_SYS_ERR(sys::socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
  EXPECT_SYS_ERR(sys::socket(AF_INET, SOCK_STREAM, 200), EPROTONOSUPPORT);
  EXPECT_SYS_ERR(sys::socket(AF_INET, SOCK_STREAM, 256), EPROTONOSUPPORT);
  // Linux (inet_create): outside [0, IPPROTO_MAX = 263) is EINVAL.
  EXPECT_SYS_ERR(sys::socket(AF_INET, SOCK_STREAM, -1), EINVAL);
  EXPECT_SYS_ERR(sys::socket(AF_INET, SOCK_STREAM, 263), EINVAL);
  EXPECT_SYS_ERR(sys::socket(AF_INET, SOCK_STREAM, 1000), EINVAL);
}

TEST_F(ErrnoTest, Bind_BadAddrlen_EINVAL) {
  int fd = Tcp();
  sockaddr_in a = A(5001);
  EXPECT_SYS_ERR(sys::bind(fd, Sa(a), 4), EINVAL);
  EXPECT_SYS_ERR(sys::bind(fd, Sa(a), 0), EINVAL);
  EXPECT_SYS_ERR(sys::bind(fd, Sa(a), static_cast<socklen_t>(-1)), EINVAL);
  EXPECT_SYS_ERR(sys::bind(fd, Sa(a), 200), EINVAL);  // > sizeof(sockaddr_storage)
  EXPECT_SYS_ERR(sys::bind(fd, nullptr, sizeof(a)), EFAULT);
  EXPECT_SYS_OK(sys::bind(fd, Sa(a), sizeof(a)));  // none of that bound it
}

TEST_F(ErrnoTest, Bind_WrongFamily_EAFNOSUPPORT) {
  int fd = Tcp();
  sockaddr_in a = A(5001);
  for (sa_family_t f : {AF_INET6, AF_UNIX}) {
    a.sin_family = f;
    EXPECT_SYS_ERR(sys::bind(fd, Sa(a), sizeof(a)), EAFNOSUPPORT);
  }
  a.sin_family = AF_UNSPEC;  // Linux accepts AF_UNSPEC only with INADDR_ANY
  EXPECT_SYS_ERR(sys::bind(fd, Sa(a), sizeof(a)), EAFNOSUPPORT);
  sockaddr_in any = SockAddr(Ipv4Addr(), 5001);
  any.sin_family = AF_UNSPEC;
  EXPECT_SYS_OK(sys::bind(fd, Sa(any), sizeof(any)));
}

TEST_F(ErrnoTest, Connect_BadAddress) {
  int fd = Tcp();
  sockaddr_in to = B(kClosedPort);
  EXPECT_SYS_ERR(sys::connect(fd, Sa(to), 4), EINVAL);
  EXPECT_SYS_ERR(sys::connect(fd, Sa(to), 1), EINVAL);  // shorter than sa_family
  EXPECT_SYS_ERR(sys::connect(fd, Sa(to), 200), EINVAL);
  EXPECT_SYS_ERR(sys::connect(fd, nullptr, sizeof(to)), EFAULT);
  for (sa_family_t f : {AF_INET6, AF_UNIX}) {
    to.sin_family = f;
    EXPECT_SYS_ERR(sys::connect(fd, Sa(to), sizeof(to)), EAFNOSUPPORT);
  }
  to.sin_family = AF_UNSPEC;  // Linux: disconnect, a no-op on a fresh socket
  EXPECT_SYS_OK(sys::connect(fd, Sa(to), sizeof(to)));
}

TEST_F(ErrnoTest, NullBuffers_EFAULT) {
  // Linux reports EFAULT when the copy faults, i.e. where data would move;
  // usnet checks pointers up front, so these are the cases both agree on.
  TcpPair p = BlockingPair();
  EXPECT_SYS_ERR(sys::send(p.client, nullptr, 10, 0), EFAULT);
  EXPECT_SYS_ERR(sys::sendto(p.client, nullptr, 10, 0, nullptr, 0), EFAULT);
  EXPECT_SYS_ERR(sys::sendmsg(p.client, nullptr, 0), EFAULT);
  ASSERT_EQ(sys::send(p.client, "abcdef", 6, 0), 6);
  Run();
  ProcessScope in(net.proc_b);
  EXPECT_SYS_ERR(sys::recv(p.server, nullptr, 10, 0), EFAULT);  // data waiting
  EXPECT_SYS_ERR(sys::recvmsg(p.server, nullptr, 0), EFAULT);
  iovec bad{nullptr, 10};
  EXPECT_SYS_ERR(sys::readv(p.server, &bad, 1), EFAULT);
  EXPECT_EQ(sys::recv(p.server, buf_, sizeof(buf_), 0), 6);  // nothing was lost
  int v = 0;
  socklen_t n = sizeof(v);
  EXPECT_SYS_ERR(sys::getsockopt(p.server, SOL_SOCKET, SO_TYPE, &v, nullptr), EFAULT);
  EXPECT_SYS_ERR(sys::getsockopt(p.server, SOL_SOCKET, SO_TYPE, nullptr, &n), EFAULT);
  EXPECT_SYS_ERR(sys::setsockopt(p.server, SOL_SOCKET, SO_REUSEADDR, nullptr, sizeof(v)), EFAULT);
  EXPECT_SYS_ERR(sys::ioctl(p.server, FIONBIO, nullptr), EFAULT);
  // Zero-length transfers are not errors (Linux: 0 on a connected socket).
  EXPECT_EQ(sys::send(p.server, "", 0, 0), 0);
  EXPECT_EQ(sys::recv(p.server, buf_, 0, MSG_DONTWAIT), 0);
}

TEST_F(ErrnoTest, SockoptBadLevelOrName) {
  int tcp = Tcp(), udp = Udp();
  int v = 1;
  socklen_t n = sizeof(v);
  for (int fd : {tcp, udp}) {
    EXPECT_SYS_ERR(sys::setsockopt(fd, SOL_SOCKET, 9999, &v, sizeof(v)), ENOPROTOOPT);
    EXPECT_SYS_ERR(sys::getsockopt(fd, SOL_SOCKET, 9999, &v, &n), ENOPROTOOPT);
    EXPECT_SYS_ERR(sys::setsockopt(fd, SOL_IP, 9999, &v, sizeof(v)), ENOPROTOOPT);
    EXPECT_SYS_ERR(sys::getsockopt(fd, SOL_IP, 9999, &v, &n), ENOPROTOOPT);
    EXPECT_SYS_ERR(sys::setsockopt(fd, 9999, 1, &v, sizeof(v)), ENOPROTOOPT);
    // Linux: an unknown level ends in ip_getsockopt, which says EOPNOTSUPP
    // (ip_setsockopt says ENOPROTOOPT).
    EXPECT_SYS_ERR(sys::getsockopt(fd, 9999, 1, &v, &n), EOPNOTSUPP);
    // Read-only options cannot be set.
    EXPECT_SYS_ERR(sys::setsockopt(fd, SOL_SOCKET, SO_TYPE, &v, sizeof(v)), ENOPROTOOPT);
    EXPECT_SYS_ERR(sys::setsockopt(fd, SOL_SOCKET, SO_ERROR, &v, sizeof(v)), ENOPROTOOPT);
  }
  EXPECT_SYS_ERR(sys::setsockopt(tcp, SOL_TCP, 9999, &v, sizeof(v)), ENOPROTOOPT);
  EXPECT_SYS_ERR(sys::getsockopt(tcp, SOL_TCP, 9999, &v, &n), ENOPROTOOPT);
  // UDP's own level: no such option (udp_lib_getsockopt); SOL_UDP on TCP
  // is a level TCP does not know.
  EXPECT_SYS_ERR(sys::getsockopt(udp, IPPROTO_UDP, 9999, &v, &n), ENOPROTOOPT);
  EXPECT_SYS_ERR(sys::setsockopt(udp, IPPROTO_UDP, 9999, &v, sizeof(v)), ENOPROTOOPT);
  EXPECT_SYS_ERR(sys::getsockopt(tcp, IPPROTO_UDP, 1, &v, &n), EOPNOTSUPP);
  // SOL_TCP on a UDP socket is just another level UDP does not know.
  EXPECT_SYS_ERR(sys::setsockopt(udp, SOL_TCP, TCP_NODELAY, &v, sizeof(v)), ENOPROTOOPT);
  EXPECT_SYS_ERR(sys::getsockopt(udp, SOL_TCP, TCP_NODELAY, &v, &n), EOPNOTSUPP);
}

TEST_F(ErrnoTest, SockoptBadLength) {
  int fd = Tcp();
  int v = 1;
  EXPECT_SYS_ERR(sys::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, 2), EINVAL);
  EXPECT_SYS_ERR(sys::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, 0), EINVAL);
  EXPECT_SYS_ERR(sys::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, static_cast<socklen_t>(-1)),
                 EINVAL);
  EXPECT_SYS_ERR(sys::setsockopt(fd, SOL_TCP, TCP_NODELAY, &v, 2), EINVAL);
  EXPECT_SYS_ERR(sys::setsockopt(fd, SOL_SOCKET, SO_LINGER, &v, sizeof(v)), EINVAL);
  EXPECT_SYS_ERR(sys::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &v, sizeof(v)), EINVAL);
  EXPECT_SYS_ERR(sys::setsockopt(fd, SOL_IP, IP_TTL, &v, 0), EINVAL);
  // Longer than an int is fine: the first int is read.
  const int64_t wide = 1;
  EXPECT_SYS_OK(sys::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &wide, sizeof(wide)));
  EXPECT_EQ(GetInt(fd, SOL_SOCKET, SO_REUSEADDR), 1);
  // Linux (do_ip_setsockopt): IP-level integers also come as a single byte.
  const unsigned char ttl = 0x40;
  EXPECT_SYS_OK(sys::setsockopt(fd, SOL_IP, IP_TTL, &ttl, 1));
  socklen_t n = static_cast<socklen_t>(-1);
  EXPECT_SYS_ERR(sys::getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &n), EINVAL);
  n = static_cast<socklen_t>(-1);
  EXPECT_SYS_ERR(sys::getsockopt(fd, SOL_TCP, TCP_NODELAY, &v, &n), EINVAL);
  n = static_cast<socklen_t>(-1);
  EXPECT_SYS_ERR(sys::getsockopt(fd, SOL_TCP, TCP_INFO, buf_, &n), EINVAL);
}

TEST_F(ErrnoTest, ListenOnConnected_EINVAL) {
  TcpPair p = ConnectPair(net);
  EXPECT_SYS_ERR(sys::listen(p.client, 5), EINVAL);
  ProcessScope in(net.proc_b);
  EXPECT_SYS_ERR(sys::listen(p.server, 5), EINVAL);   // accepted sockets too
  EXPECT_SYS_OK(sys::listen(p.listener, 100));        // a listener: only the backlog changes
  EXPECT_SYS_ERR(sys::listen(Udp(), 5), EOPNOTSUPP);  // Linux: sock_no_listen
}

TEST_F(ErrnoTest, SendtoWithAddressOnConnectedTcp_AddressIgnored) {
  // Linux: tcp_sendmsg never looks at msg_name (only for TCP Fast Open), so
  // any address -- even a short one, past move_addr_to_kernel's size check --
  // is ignored and the data goes to the peer. No EISCONN for TCP.
  TcpPair p = BlockingPair();
  sockaddr_in peer = B(8080), other = SockAddr(Ipv4Addr::FromOctets(10, 0, 0, 9), 1);
  EXPECT_EQ(sys::sendto(p.client, "ab", 2, 0, Sa(peer), sizeof(peer)), 2);
  EXPECT_EQ(sys::sendto(p.client, "cd", 2, 0, Sa(other), sizeof(other)), 2);
  EXPECT_EQ(sys::sendto(p.client, "ef", 2, 0, Sa(other), 4), 2);
  EXPECT_SYS_ERR(sys::sendto(p.client, "gh", 2, 0, Sa(other), 200), EINVAL);  // > sockaddr_storage
  Run();
  ProcessScope in(net.proc_b);
  ASSERT_EQ(sys::recv(p.server, buf_, sizeof(buf_), 0), 6);
  EXPECT_EQ(std::string(buf_, 6), "abcdef");
}

TEST_F(ErrnoTest, SendOnUnconnectedTcp_EPIPEAndSigpipe) {
  SigpipeCounter sigpipe;
  int fd = Tcp();
  EXPECT_SYS_ERR(sys::send(fd, "x", 1, 0), EPIPE);
  EXPECT_EQ(sigpipe.count(), 1);
  EXPECT_SYS_ERR(sys::send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
  EXPECT_SYS_ERR(sys::send(fd, "", 0, MSG_NOSIGNAL), EPIPE);  // even for nothing
  sockaddr_in to = B(8080);
  EXPECT_SYS_ERR(sys::sendto(fd, "x", 1, MSG_NOSIGNAL, Sa(to), sizeof(to)),
                 EPIPE);  // no implicit connect
  EXPECT_EQ(sigpipe.count(), 1);
  // Linux: recv on a never-connected socket is ENOTCONN, blocking or not.
  EXPECT_SYS_ERR(sys::recv(fd, buf_, 4, 0), ENOTCONN);
  EXPECT_SYS_ERR(sys::read(fd, buf_, 4), ENOTCONN);
  EXPECT_SYS_ERR(sys::recv(fd, buf_, 1, MSG_OOB), EINVAL);
}

TEST_F(ErrnoTest, GetpeernameUnconnected_ENOTCONN) {
  sockaddr_in a{};
  socklen_t n = sizeof(a);
  int tcp = Tcp(), udp = Udp();
  EXPECT_SYS_ERR(sys::getpeername(tcp, reinterpret_cast<sockaddr*>(&a), &n), ENOTCONN);
  EXPECT_SYS_ERR(sys::getpeername(udp, reinterpret_cast<sockaddr*>(&a), &n), ENOTCONN);
  // Linux (__sys_getpeername): the protocol answers before any copy-out, so
  // bad pointers do not matter on an unconnected socket.
  EXPECT_SYS_ERR(sys::getpeername(tcp, reinterpret_cast<sockaddr*>(&a), nullptr), ENOTCONN);
  EXPECT_SYS_ERR(sys::getpeername(tcp, nullptr, nullptr), ENOTCONN);
  int l = ListenB(8080, 4);
  ProcessScope in(net.proc_b);
  EXPECT_SYS_ERR(sys::getpeername(l, reinterpret_cast<sockaddr*>(&a), &n), ENOTCONN);
}

TEST_F(ErrnoTest, GetsocknameCopyOut) {
  // Linux (move_addr_to_user): NULL length EFAULT; negative EINVAL; a NULL
  // buffer is fine when the length is 0, which then reports the full size.
  int fd = Tcp();
  sockaddr_in a{};
  socklen_t n = sizeof(a);
  EXPECT_SYS_ERR(sys::getsockname(fd, reinterpret_cast<sockaddr*>(&a), nullptr), EFAULT);
  n = static_cast<socklen_t>(-1);
  EXPECT_SYS_ERR(sys::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n), EINVAL);
  n = sizeof(a);
  EXPECT_SYS_ERR(sys::getsockname(fd, nullptr, &n), EFAULT);
  n = 0;
  EXPECT_SYS_OK(sys::getsockname(fd, nullptr, &n));
  EXPECT_EQ(n, sizeof(sockaddr_in));
  n = 2;  // truncated: only the family fits
  a.sin_port = 0x5555;
  EXPECT_SYS_OK(sys::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n));
  EXPECT_EQ(n, sizeof(sockaddr_in));
  EXPECT_EQ(a.sin_family, AF_INET);
  EXPECT_EQ(a.sin_port, 0x5555);
}

TEST_F(ErrnoTest, ShutdownBadHow_EINVAL) {
  TcpPair p = ConnectPair(net);
  EXPECT_SYS_ERR(sys::shutdown(p.client, 3), EINVAL);
  EXPECT_SYS_ERR(sys::shutdown(p.client, -1), EINVAL);
  EXPECT_SYS_ERR(sys::shutdown(Tcp(), 7), EINVAL);  // Linux: checked before ENOTCONN
  EXPECT_SYS_ERR(sys::shutdown(Udp(), 7), EINVAL);
}

TEST_F(ErrnoTest, FcntlBadCmd_EINVAL) {
  int fd = Tcp();
  EXPECT_SYS_ERR(sys::fcntl(fd, 9999), EINVAL);
  EXPECT_SYS_ERR(sys::fcntl(sys::epoll_create1(0), 9999), EINVAL);
  EXPECT_EQ(sys::fcntl(fd, F_GETFL), O_RDWR);
  EXPECT_SYS_ERR(sys::fcntl(fd, F_DUPFD, -1), EINVAL);
}

TEST_F(ErrnoTest, IoctlUnknown_ENOTTY) {
  int fd = Tcp();
  EXPECT_SYS_ERR(sys::ioctl(fd, 0x7777, buf_), ENOTTY);
  EXPECT_SYS_ERR(sys::ioctl(fd, TCGETS, buf_), ENOTTY);  // a terminal request on a socket
  EXPECT_SYS_ERR(sys::ioctl(Udp(), 0x7777, buf_), ENOTTY);
  // Linux 6.18: epoll's own ioctl handler (EPIOCSPARAMS...) answers EINVAL
  // for anything else, FIONREAD included; FIONBIO is handled above it.
  const int ep = sys::epoll_create1(0);
  EXPECT_SYS_ERR(sys::ioctl(ep, 0x7777, buf_), EINVAL);
  EXPECT_SYS_ERR(sys::ioctl(ep, FIONREAD, buf_), EINVAL);
  // Linux: SIOCINQ on a listener is EINVAL, on an unconnected socket 0.
  int v = -1;
  EXPECT_SYS_OK(sys::ioctl(fd, SIOCINQ, &v));
  EXPECT_EQ(v, 0);
  ASSERT_SYS_OK(sys::listen(fd, 4));
  EXPECT_SYS_ERR(sys::ioctl(fd, SIOCINQ, &v), EINVAL);
}

TEST_F(ErrnoTest, EpollCtlErrors) {
  const int ep = sys::epoll_create1(0);
  const int fd = Tcp(), other = Tcp();
  epoll_event e{};
  e.events = EPOLLIN;
  ASSERT_SYS_OK(sys::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e));
  EXPECT_SYS_ERR(sys::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e), EEXIST);
  EXPECT_SYS_ERR(sys::epoll_ctl(ep, EPOLL_CTL_MOD, other, &e), ENOENT);
  EXPECT_SYS_ERR(sys::epoll_ctl(ep, EPOLL_CTL_DEL, other, &e), ENOENT);
  EXPECT_SYS_ERR(sys::epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e), EINVAL);     // epfd == fd
  EXPECT_SYS_ERR(sys::epoll_ctl(fd, EPOLL_CTL_ADD, other, &e), EINVAL);  // epfd not an epoll
  EXPECT_SYS_ERR(sys::epoll_ctl(ep, EPOLL_CTL_ADD, 999, &e), EBADF);
  EXPECT_SYS_ERR(sys::epoll_ctl(999, EPOLL_CTL_ADD, fd, &e), EBADF);
  EXPECT_SYS_ERR(sys::epoll_ctl(ep, 99, other, &e), EINVAL);
  EXPECT_SYS_ERR(sys::epoll_ctl(ep, 99, fd, &e), EINVAL);
  // Linux copies the event in first: a NULL one is EFAULT before the
  // descriptors are looked at; DEL takes no event.
  EXPECT_SYS_ERR(sys::epoll_ctl(ep, EPOLL_CTL_ADD, other, nullptr), EFAULT);
  EXPECT_SYS_ERR(sys::epoll_ctl(999, EPOLL_CTL_ADD, fd, nullptr), EFAULT);
  EXPECT_SYS_OK(sys::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr));
  // EPOLLEXCLUSIVE: only with ADD, and not with EPOLLONESHOT (or RDHUP...).
  epoll_event x{};
  x.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
  EXPECT_SYS_ERR(sys::epoll_ctl(ep, EPOLL_CTL_ADD, other, &x), EINVAL);
  x.events = EPOLLIN | EPOLLRDHUP | EPOLLEXCLUSIVE;
  EXPECT_SYS_ERR(sys::epoll_ctl(ep, EPOLL_CTL_ADD, other, &x), EINVAL);
  x.events = EPOLLIN | EPOLLEXCLUSIVE;
  EXPECT_SYS_OK(sys::epoll_ctl(ep, EPOLL_CTL_ADD, other, &x));
  EXPECT_SYS_ERR(sys::epoll_ctl(ep, EPOLL_CTL_MOD, other, &x), EINVAL);
  // epoll_wait: Linux 6.18 looks the descriptor up first.
  epoll_event out[1];
  EXPECT_SYS_ERR(sys::epoll_wait(999, out, 0, 0), EBADF);
  EXPECT_SYS_ERR(sys::epoll_wait(999, nullptr, 1, 0), EBADF);
  EXPECT_SYS_ERR(sys::epoll_wait(fd, out, 1, 0), EINVAL);
  EXPECT_SYS_ERR(sys::epoll_wait(ep, out, 0, 0), EINVAL);
  EXPECT_SYS_ERR(sys::epoll_wait(ep, nullptr, 1, 0), EFAULT);
  EXPECT_SYS_ERR(sys::epoll_create(0), EINVAL);
  EXPECT_SYS_ERR(sys::epoll_create1(12345), EINVAL);
}

TEST_F(ErrnoTest, AcceptAndIovecBadFlags_EINVAL) {
  int l = ListenB(8080, 4);
  ProcessScope in(net.proc_b);
  EXPECT_SYS_ERR(sys::accept4(l, nullptr, nullptr, 0x1), EINVAL);
  EXPECT_SYS_ERR(sys::readv(l, nullptr, -1), EINVAL);
  iovec iov[1] = {};
  EXPECT_SYS_ERR(sys::readv(l, iov, 1025), EINVAL);  // > UIO_MAXIOV
  EXPECT_SYS_ERR(sys::writev(l, iov, 1025), EINVAL);
}

}  // namespace
}  // namespace usnet
