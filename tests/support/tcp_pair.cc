#include "tests/support/tcp_pair.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "syscalls/socket_api.h"

namespace usnet::testing {

TcpPair ConnectPair(TwoHosts& net, absl::Duration limit) {
  TcpPair c;
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
  bool connected = false;
  net.RunUntil(
      [&] {
        if (c.server < 0) {
          ProcessScope in(net.proc_b);
          c.server = sys::accept4(c.listener, nullptr, nullptr, SOCK_NONBLOCK);
        }
        ProcessScope in(net.proc_a);
        pollfd p{c.client, POLLOUT, 0};
        connected = sys::poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
        return c.server >= 0 && connected;
      },
      limit);
  EXPECT_GE(c.server, 0) << "accept never returned";
  EXPECT_TRUE(connected) << "connect never completed";
  return c;
}

std::string ExchangeResult::Describe() const {
  return absl::StrCat("a sent ", a_sent, ", b got ", b_got.size(), "; b sent ", b_sent, ", a got ", a_got.size(),
                      done ? "" : " (not finished)");
}

ExchangeResult Exchange(TwoHosts& net, const TcpPair& p, const std::string& up, const std::string& down,
                        absl::Duration limit) {
  ExchangeResult r;
  bool a_shut = false, b_shut = false, a_eof = false, b_eof = false;
  std::string buf(65536, '\0');
  auto side = [&](Process& proc, int fd, const std::string& out, size_t& sent, bool& shut, std::string& got,
                  bool& eof) {
    ProcessScope in(proc);
    while (sent < out.size()) {
      ssize_t n = sys::send(fd, out.data() + sent, std::min<size_t>(out.size() - sent, 65536), MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    if (sent == out.size() && !shut) shut = sys::shutdown(fd, SHUT_WR) == 0;
    for (;;) {
      ssize_t n = sys::recv(fd, buf.data(), buf.size(), 0);
      if (n > 0) got.append(buf.data(), static_cast<size_t>(n));
      if (n == 0) eof = true;
      if (n <= 0) break;
    }
  };
  r.done = net.RunUntil(
      [&] {
        side(net.proc_a, p.client, up, r.a_sent, a_shut, r.a_got, a_eof);
        side(net.proc_b, p.server, down, r.b_sent, b_shut, r.b_got, b_eof);
        return a_eof && b_eof;
      },
      limit);
  return r;
}

void ClosePair(TwoHosts& net, TcpPair& p) {
  {
    ProcessScope in(net.proc_a);
    if (p.client >= 0) sys::close(p.client);
  }
  ProcessScope in(net.proc_b);
  if (p.server >= 0) sys::close(p.server);
  if (p.listener >= 0) sys::close(p.listener);
  p = TcpPair{};
}

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& ch : s) ch = static_cast<char>(rng());
  return s;
}

}  // namespace usnet::testing
