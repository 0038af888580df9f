// echo-server and echo-client, written against POSIX socket names.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "userland/args.h"
#include "userland/posix.h"
#include "userland/programs.h"
#include "userland/sockets.h"

namespace userland {

// An epoll event loop echoing every byte back, until --max-conns
// connections have ended (0: forever) or epoll_wait fails.
int EchoServerMain(int argc, char** argv) {
  Args a(argc, argv, {"port", "max-conns", "backlog"});
  const long port = a.Int("port", 7), max_conns = a.Int("max-conns", 0),
             backlog = a.Int("backlog", 128);
  if (!a.ok()) return 2;
  const int l = ListenOn("echo-server", port, backlog);
  if (l < 0) return 1;
  int ep = posix::epoll_create1(0);
  EpollSet(ep, EPOLL_CTL_ADD, l, EPOLLIN);
  std::map<int, std::string> pending;  // fd -> bytes not yet written back
  long ended = 0;
  epoll_event evs[64];
  char buf[65536];
  while (max_conns == 0 || ended < max_conns) {
    int n = posix::epoll_wait(ep, evs, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // (in usnet's virtual time: nothing more can happen)
    }
    for (int i = 0; i < n; ++i) {
      const int fd = evs[i].data.fd;
      if (fd == l) {
        int c;
        while ((c = posix::accept4(l, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          pending[c];
          EpollSet(ep, EPOLL_CTL_ADD, c, EPOLLIN | EPOLLRDHUP);
        }
        continue;
      }
      std::string& out = pending[fd];
      bool finished = false;  // end of stream or an error
      while (out.size() < (1 << 20)) {
        ssize_t r = posix::read(fd, buf, sizeof(buf));
        if (r > 0) {
          out.append(buf, static_cast<size_t>(r));
          continue;
        }
        finished = r == 0 || errno != EAGAIN;
        break;
      }
      while (!out.empty()) {
        ssize_t w = posix::write(fd, out.data(), out.size());
        if (w <= 0) break;
        out.erase(0, static_cast<size_t>(w));
      }
      if (finished && out.empty()) {
        posix::close(fd);
        pending.erase(fd);
        ++ended;
      } else {
        EpollSet(ep, EPOLL_CTL_MOD, fd,
                 EPOLLIN | EPOLLRDHUP | (out.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT)));
      }
    }
  }
  for (auto& [fd, out] : pending) posix::close(fd);
  posix::close(ep);
  posix::close(l);
  return 0;
}

// Sends --bytes over each of --conns connections in turn, reading the echo
// back as it goes, and checks every byte.
int EchoClientMain(int argc, char** argv) {
  Args a(argc, argv, {"host", "port", "bytes", "conns"});
  const std::string host = a.Get("host", "127.0.0.1");
  const long port = a.Int("port", 7), bytes = a.Int("bytes", 1024), conns = a.Int("conns", 1);
  if (!a.ok()) return 2;
  sockaddr_in to;
  if (!Resolve(host, port, &to)) {
    std::fprintf(stderr, "echo-client: --host '%s' is not an IPv4 address\n", host.c_str());
    return 2;
  }
  std::string data(static_cast<size_t>(bytes), '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  for (long c = 0; c < conns; ++c) {
    int fd = posix::socket(AF_INET, SOCK_STREAM, 0);
    if (posix::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) < 0) {
      std::fprintf(stderr, "echo-client: connect %s:%ld: %s\n", host.c_str(), port,
                   std::strerror(errno));
      posix::close(fd);
      return 1;
    }
    size_t sent = 0, got = 0;
    std::string back;
    char buf[65536];
    while (got < data.size()) {
      if (sent < data.size()) {
        const size_t chunk = std::min<size_t>(data.size() - sent, 16384);
        ssize_t w = posix::write(fd, data.data() + sent, chunk);
        if (w <= 0) break;
        sent += static_cast<size_t>(w);
      }
      ssize_t r = posix::read(fd, buf, sizeof(buf));
      if (r <= 0) break;
      back.append(buf, static_cast<size_t>(r));
      got += static_cast<size_t>(r);
    }
    posix::close(fd);
    if (back != data) {
      std::fprintf(stderr, "echo-client: connection %ld: got %zu of %zu bytes back%s\n", c,
                   back.size(), data.size(), back.size() == data.size() ? " (different)" : "");
      return 1;
    }
  }
  std::printf("echo-client: %ld connection(s) x %ld bytes echoed intact\n", conns, bytes);
  return 0;
}

}  // namespace userland
