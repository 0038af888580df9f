// A blocking send on a TCP socket takes all of its data, waiting for send
// buffer room as often as it needs (tcp_sendmsg), and returns early only
// when SO_SNDTIMEO runs out (with what it copied) or the connection fails.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <string>

#include "gtest/gtest.h"
#include "kernel/sched.h"
#include "syscalls/socket_api.h"
#include "tests/support/two_hosts.h"

namespace usnet {
namespace {

using testing::TwoHosts;

sockaddr_in Addr(const char* ip, uint16_t port) {
  return testing::SockAddr(*Ipv4Addr::Parse(ip), port);
}

int Listener(uint16_t port) {
  const int l = sys::socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in a = Addr("0.0.0.0", port);
  EXPECT_EQ(sys::bind(l, reinterpret_cast<const sockaddr*>(&a), sizeof(a)), 0);
  EXPECT_EQ(sys::listen(l, 8), 0);
  return l;
}

int Connect(const char* ip, uint16_t port, int sndbuf) {
  const int fd = sys::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(sys::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
  const sockaddr_in a = Addr(ip, port);
  EXPECT_EQ(sys::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)), 0);
  return fd;
}

TEST(BlockingSend, TakesEverythingThroughASmallSendBuffer) {
  TwoHosts net;
  constexpr size_t kLen = 1 << 20;  // 1 MiB through an 8 KiB (x2) send buffer
  ssize_t sent = -1;
  size_t received = 0;
  {
    Scheduler s(net.loop);
    s.Spawn("server", [&] {
      ProcessScope in(net.proc_b);
      const int l = Listener(9000);
      const int c = sys::accept(l, nullptr, nullptr);
      ASSERT_GE(c, 0);
      std::string buf(65536, '\0');
      for (ssize_t n; (n = sys::read(c, buf.data(), buf.size())) > 0;)
        received += static_cast<size_t>(n);
      sys::close(c);
      sys::close(l);
    });
    s.Spawn("client", [&] {
      ProcessScope in(net.proc_a);
      const int fd = Connect("10.0.0.2", 9000, 8192);
      const std::string data(kLen, 'x');
      sent = sys::write(fd, data.data(), data.size());
      sys::close(fd);
    });
    EXPECT_TRUE(s.Run(net.clock.Now() + absl::Minutes(1)));
  }
  EXPECT_EQ(sent, static_cast<ssize_t>(kLen));
  EXPECT_EQ(received, kLen);
}

TEST(BlockingSend, SndtimeoReturnsWhatWasCopied) {
  TwoHosts net;
  ssize_t first = -1, second = 0;
  int second_errno = 0;
  {
    Scheduler s(net.loop);
    s.Spawn("server", [&] {
      ProcessScope in(net.proc_b);
      const int l = Listener(9001);
      const int c = sys::accept(l, nullptr, nullptr);
      ASSERT_GE(c, 0);
      // Never reads: the client's data fills our window and its buffer.
      // Wait 10 s (for a second connection that never comes) first.
      timeval tv{.tv_sec = 10, .tv_usec = 0};
      ASSERT_EQ(sys::setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
      EXPECT_EQ(sys::accept(l, nullptr, nullptr), -1);
    });
    s.Spawn("client", [&] {
      ProcessScope in(net.proc_a);
      const int fd = Connect("10.0.0.2", 9001, 8192);
      timeval tv{.tv_sec = 1, .tv_usec = 0};
      ASSERT_EQ(sys::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
      const std::string data(4 << 20, 'x');
      first = sys::write(fd, data.data(), data.size());
      second = sys::write(fd, data.data(), data.size());
      second_errno = errno;
    });
    s.Run(net.clock.Now() + absl::Minutes(1));
  }
  // Part went (the peer's receive window plus our send buffer), not all.
  EXPECT_GT(first, 0);
  EXPECT_LT(first, 4 << 20);
  // Nothing more fits: the next call times out with nothing copied.
  EXPECT_EQ(second, -1);
  EXPECT_EQ(second_errno, EAGAIN);
}

}  // namespace
}  // namespace usnet
