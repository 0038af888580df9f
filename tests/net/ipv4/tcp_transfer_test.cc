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
#include "tests/support/two_hosts.h"

namespace usnet {
namespace {

using testing::SockAddr;
using testing::TwoHosts;

struct Conn {
  int listener = -1, server = -1, client = -1;
};

// Server on b:8080, client on a, connected (nonblocking sockets).
Conn Connect(TwoHosts& net) {
  Conn c;
  {
    ProcessScope in(net.proc_b);
    c.listener = sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in any = SockAddr(Ipv4Addr(), 8080);
    EXPECT_EQ(sys::bind(c.listener, reinterpret_cast<sockaddr*>(&any), sizeof(any)), 0);
    EXPECT_EQ(sys::listen(c.listener, 16), 0);
  }
  {
    ProcessScope in(net.proc_a);
    c.client = sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in to = SockAddr(TwoHosts::AddrB(), 8080);
    EXPECT_EQ(sys::connect(c.client, reinterpret_cast<sockaddr*>(&to), sizeof(to)), -1);
    EXPECT_EQ(errno, EINPROGRESS);
  }
  net.RunUntil(
      [&] {
        ProcessScope in(net.proc_b);
        if (c.server < 0) c.server = sys::accept4(c.listener, nullptr, nullptr, SOCK_NONBLOCK);
        return c.server >= 0;
      },
      absl::Seconds(30));
  EXPECT_GE(c.server, 0);
  ProcessScope in(net.proc_a);
  int err = -1;
  socklen_t len = sizeof(err);
  EXPECT_EQ(sys::getsockopt(c.client, SOL_SOCKET, SO_ERROR, &err, &len), 0);
  EXPECT_EQ(err, 0);
  return c;
}

std::string Pattern(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& ch : s) ch = static_cast<char>(rng());
  return s;
}

// Moves `data` from a (client) to b (server) and `back` from b to a at the
// same time, then both close. Returns whether everything arrived intact
// within `limit` of virtual time.
bool Exchange(TwoHosts& net, Conn& c, const std::string& data, const std::string& back, absl::Duration limit) {
  size_t a_sent = 0, b_sent = 0;
  std::string a_got, b_got;
  bool a_shut = false, b_shut = false, a_eof = false, b_eof = false;
  auto step = [&] {
    char buf[65536];
    {
      ProcessScope in(net.proc_a);
      while (a_sent < data.size()) {
        ssize_t n = sys::send(c.client, data.data() + a_sent, std::min<size_t>(data.size() - a_sent, 65536), MSG_NOSIGNAL);
        if (n <= 0) break;
        a_sent += static_cast<size_t>(n);
      }
      if (a_sent == data.size() && !a_shut) a_shut = sys::shutdown(c.client, SHUT_WR) == 0;
      for (;;) {
        ssize_t n = sys::recv(c.client, buf, sizeof(buf), 0);
        if (n > 0) a_got.append(buf, static_cast<size_t>(n));
        if (n == 0) a_eof = true;
        if (n <= 0) break;
      }
    }
    {
      ProcessScope in(net.proc_b);
      while (b_sent < back.size()) {
        ssize_t n = sys::send(c.server, back.data() + b_sent, std::min<size_t>(back.size() - b_sent, 65536), MSG_NOSIGNAL);
        if (n <= 0) break;
        b_sent += static_cast<size_t>(n);
      }
      if (b_sent == back.size() && !b_shut) b_shut = sys::shutdown(c.server, SHUT_WR) == 0;
      for (;;) {
        ssize_t n = sys::recv(c.server, buf, sizeof(buf), 0);
        if (n > 0) b_got.append(buf, static_cast<size_t>(n));
        if (n == 0) b_eof = true;
        if (n <= 0) break;
      }
    }
    return a_eof && b_eof;
  };
  const bool done = net.RunUntil(step, limit);
  EXPECT_TRUE(done) << "a sent " << a_sent << "/" << data.size() << ", b got " << b_got.size() << "; b sent "
                    << b_sent << "/" << back.size() << ", a got " << a_got.size();
  return done && a_got == back && b_got == data;
}

TEST(TcpTransfer, HandshakeDataAndOrderlyClose) {
  TwoHosts net;
  Conn c = Connect(net);
  EXPECT_TRUE(Exchange(net, c, "hello from a", "hello from b", absl::Seconds(10)));
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
  Conn c = Connect(net);
  const std::string up = Pattern(1 << 20, 1), down = Pattern(1 << 20, 2);
  const uint64_t a_tx0 = net.a.core().ledger().bytes(CopySite::kUserToSkb);
  const uint64_t b_rx0 = net.b.core().ledger().bytes(CopySite::kSkbToUser);
  ASSERT_TRUE(Exchange(net, c, up, down, absl::Seconds(60)));
  EXPECT_EQ(net.a.core().ledger().bytes(CopySite::kUserToSkb) - a_tx0, up.size());
  EXPECT_EQ(net.b.core().ledger().bytes(CopySite::kSkbToUser) - b_rx0, up.size());
  EXPECT_EQ(net.a.core().ledger().bytes(CopySite::kRetransmit), 0u);
  EXPECT_EQ(net.a.tcp().mib[TcpMib::kRetransSegs], 0u);
  EXPECT_EQ(net.b.tcp().mib[TcpMib::kRetransSegs], 0u);
}

}  // namespace
}  // namespace usnet
