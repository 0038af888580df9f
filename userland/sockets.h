// Socket set-up the example programs share, on the POSIX names of
// userland/posix.h (so it builds against usnet and against libc alike).
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "userland/posix.h"

namespace userland {

// `host:port` as a sockaddr_in; false unless `host` is a dotted IPv4 address.
inline bool Resolve(const std::string& host, long port, sockaddr_in* sin) {
  std::memset(sin, 0, sizeof(*sin));
  sin->sin_family = AF_INET;
  sin->sin_port = htons(static_cast<uint16_t>(port));
  return inet_pton(AF_INET, host.c_str(), &sin->sin_addr) == 1;
}

inline void EpollSet(int ep, int op, int fd, uint32_t events) {
  epoll_event e{};
  e.events = events;
  e.data.fd = fd;
  posix::epoll_ctl(ep, op, fd, &e);
}

// A nonblocking listener on INADDR_ANY:`port` with SO_REUSEADDR, or -1
// after printing "PROG: port N: error" to stderr.
inline int ListenOn(const char* prog, long port, long backlog) {
  const int l = posix::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  posix::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_port = htons(static_cast<uint16_t>(port));
  if (posix::bind(l, reinterpret_cast<sockaddr*>(&any), sizeof(any)) < 0 ||
      posix::listen(l, static_cast<int>(backlog)) < 0) {
    std::fprintf(stderr, "%s: port %ld: %s\n", prog, port, std::strerror(errno));
    posix::close(l);
    return -1;
  }
  return l;
}

}  // namespace userland
