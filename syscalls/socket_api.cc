#include "syscalls/socket_api.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "kernel/sched.h"
#include "net/core/iov.h"
#include "syscalls/epoll.h"
#include "syscalls/process.h"

namespace usnet::sys {

namespace {

// The one place a negative errno becomes -1 + errno.
template <typename T>
T SysRet(T r) {
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}

constexpr int kSockMax = SOCK_PACKET + 1;  // Linux SOCK_MAX
constexpr size_t kIovMax = 1024;           // UIO_MAXIOV

// The open file behind `fd` in the current process.
struct FdRef {
  Process* proc = nullptr;
  std::shared_ptr<File> file;
  int err = 0;
};

// Any open file behind `fd`.
FdRef LookupFile(int fd) {
  FdRef r;
  r.proc = CurrentProcess();
  if (r.proc == nullptr) {
    r.err = -EBADF;  // no usnet process on this thread: no usnet fds either
    return r;
  }
  r.file = r.proc->fds().Get(fd);
  if (!r.file) r.err = -EBADF;
  return r;
}

// The socket behind `fd` (ENOTSOCK for an epoll descriptor).
FdRef Lookup(int fd) {
  FdRef r = LookupFile(fd);
  if (r.err == 0 && !r.file->sock) r.err = -ENOTSOCK;
  return r;
}

// Blocks until `sk` reports one of `events` (errors and hangups always
// wake), or `timeout` passes (-EAGAIN), or nothing can ever happen in
// virtual time (-EDEADLK).
// Waits for `ready` until `deadline`: through the thread's Blocker (a
// Scheduler task yields to the other tasks and the loop), otherwise by
// running the loop right here.
// 0 when ready, -EAGAIN at the deadline, -EDEADLK when nothing can happen.
int WaitFor(EventLoop& loop, const std::function<bool()>& ready, absl::Time deadline) {
  if (Blocker* b = Blocker::Current()) {
    switch (b->Block(ready, deadline)) {
      case Blocker::Wake::kReady:
        return 0;
      case Blocker::Wake::kTimeout:
        return -EAGAIN;
      case Blocker::Wake::kDeadlock:
        return -EDEADLK;
    }
  }
  if (loop.RunUntil(ready, deadline)) return 0;
  return deadline == absl::InfiniteFuture() ? -EDEADLK : -EAGAIN;
}

int Wait(Process& p, Sock& sk, uint32_t events, absl::Duration timeout) {
  EventLoop& loop = p.stack().loop();
  const absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : loop.clock().Now() + timeout;
  const uint32_t mask = events | POLLERR | POLLHUP;
  return WaitFor(
      loop, [&] { return (sk.Poll() & mask) != 0; }, deadline);
}

// move_addr_to_user: the length word is read first (EFAULT without one,
// EINVAL if negative), then as much of the address as fits is copied (a
// NULL buffer faults only if something is to be copied), then the full
// length is written back.
int MoveAddrToUser(const sockaddr_storage& k, socklen_t klen, sockaddr* addr, socklen_t* len) {
  if (len == nullptr) return -EFAULT;
  const int n = std::min(static_cast<int>(*len), static_cast<int>(klen));
  if (n < 0) return -EINVAL;
  if (n > 0) {
    if (addr == nullptr) return -EFAULT;
    std::memcpy(addr, &k, static_cast<size_t>(n));
  }
  *len = klen;
  return 0;
}

// getsockname/getpeername/accept: the protocol names the socket first (so
// an unconnected peer is ENOTCONN whatever the pointers), then the name is
// copied out.
int GetName(Sock& sk, bool peer, sockaddr* addr, socklen_t* len) {
  sockaddr_storage k{};
  socklen_t klen = sizeof(k);
  if (int r = sk.GetName(reinterpret_cast<sockaddr*>(&k), &klen, peer); r < 0) return r;
  return MoveAddrToUser(k, klen, addr, len);
}

// move_addr_to_kernel: a length that is negative as an int, or larger than
// sockaddr_storage, is EINVAL.
bool AddrLenOk(socklen_t len) {
  return static_cast<int>(len) >= 0 && len <= sizeof(sockaddr_storage);
}

bool ValidIov(const iovec* iov, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (iov[i].iov_base == nullptr && iov[i].iov_len != 0) return false;
  }
  return true;
}

// The iovecs of `msg` past its first `skip` bytes.
std::vector<iovec> IovTail(const msghdr& msg, size_t skip) {
  std::vector<iovec> v;
  for (size_t i = 0; i < msg.msg_iovlen; ++i) {
    iovec e = msg.msg_iov[i];
    const size_t n = std::min(skip, e.iov_len);
    skip -= n;
    e.iov_base = static_cast<char*>(e.iov_base) + n;
    e.iov_len -= n;
    if (e.iov_len > 0) v.push_back(e);
  }
  return v;
}

ssize_t DoSendMsg(int fd, const msghdr& msg, int flags) {
  FdRef r = Lookup(fd);
  if (r.err) return r.err;
  if (msg.msg_iovlen > kIovMax) return -EMSGSIZE;
  if (msg.msg_iovlen > 0 && (msg.msg_iov == nullptr || !ValidIov(msg.msg_iov, msg.msg_iovlen))) {
    return -EFAULT;
  }
  Sock& sk = *r.file->sock;
  const bool nonblock = r.file->nonblock || (flags & MSG_DONTWAIT);
  // A blocking stream send takes everything: like tcp_sendmsg it waits for
  // send-buffer room as often as needed, and returns early only with what
  // it copied when SO_SNDTIMEO runs out or an error ends the connection.
  const size_t want = IovLength(msg.msg_iov, msg.msg_iovlen);
  EventLoop& loop = r.proc->stack().loop();
  const absl::Duration timeo = sk.sndtimeo();
  const absl::Time deadline =
      timeo == absl::InfiniteDuration() ? absl::InfiniteFuture() : loop.clock().Now() + timeo;
  size_t done = 0;
  msghdr cur = msg;
  std::vector<iovec> rest;
  for (;;) {
    const ssize_t n = sk.SendMsg(cur, flags);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      if (nonblock || sk.type() != SOCK_STREAM || done >= want) return static_cast<ssize_t>(done);
      rest = IovTail(msg, done);
      cur.msg_iov = rest.data();
      cur.msg_iovlen = rest.size();
      continue;
    }
    if (n == -EAGAIN && !nonblock) {
      const absl::Duration left = deadline == absl::InfiniteFuture()
                                      ? absl::InfiniteDuration()
                                      : deadline - loop.clock().Now();
      const int w = Wait(*r.proc, sk, POLLOUT, std::max(left, absl::ZeroDuration()));
      if (w == 0) continue;
      return done > 0 ? static_cast<ssize_t>(done) : w;
    }
    if (done > 0) return static_cast<ssize_t>(done);
    if (n == -EPIPE && sk.type() == SOCK_STREAM && !(flags & MSG_NOSIGNAL)) {
      raise(SIGPIPE);  // sk_stream_error: the calling thread gets SIGPIPE
    }
    return n;
  }
}

ssize_t DoRecvMsg(int fd, msghdr& msg, int flags) {
  FdRef r = Lookup(fd);
  if (r.err) return r.err;
  if (msg.msg_iovlen > kIovMax) return -EMSGSIZE;
  if (msg.msg_iovlen > 0 && (msg.msg_iov == nullptr || !ValidIov(msg.msg_iov, msg.msg_iovlen))) {
    return -EFAULT;
  }
  Sock& sk = *r.file->sock;
  const bool nonblock = r.file->nonblock || (flags & (MSG_DONTWAIT | MSG_ERRQUEUE));
  for (;;) {
    ssize_t n = sk.RecvMsg(msg, flags);
    if (n != -EAGAIN || nonblock) return n;
    if (int w = Wait(*r.proc, sk, POLLIN, sk.rcvtimeo()); w < 0) return w;
  }
}

msghdr SimpleMsg(iovec* iov, const sockaddr* addr, socklen_t alen) {
  msghdr m{};
  m.msg_name = const_cast<sockaddr*>(addr);
  m.msg_namelen = addr ? alen : 0;
  m.msg_iov = iov;
  m.msg_iovlen = 1;
  return m;
}

int DoAccept(int fd, sockaddr* addr, socklen_t* len, int flags) {
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
  FdRef r = Lookup(fd);
  if (r.err) return r.err;
  if (addr != nullptr && len == nullptr) return -EFAULT;
  if (len != nullptr && static_cast<int>(*len) < 0) return -EINVAL;
  Sock& sk = *r.file->sock;
  std::unique_ptr<Sock> child;
  for (;;) {
    int a = sk.Accept(&child);
    if (a == 0) break;
    if (a != -EAGAIN || r.file->nonblock) return a;
    if (int w = Wait(*r.proc, sk, POLLIN, sk.rcvtimeo()); w < 0) return w;
  }
  if (addr != nullptr) (void)GetName(*child, true, addr, len);
  auto f = std::make_shared<File>();
  f->sock = std::move(child);
  f->nonblock = (flags & SOCK_NONBLOCK) != 0;
  return r.proc->fds().Install(std::move(f));
}

}  // namespace

int socket(int domain, int type, int protocol) {
  Process* p = CurrentProcess();
  if (p == nullptr) return SysRet(-ENETDOWN);
  const int flags = type & ~0xf;
  type &= 0xf;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return SysRet(-EINVAL);
  if (type < 0 || type >= kSockMax) return SysRet(-EINVAL);
  // __sock_create: the obsolete (PF_INET, SOCK_PACKET) means PF_PACKET,
  // which usnet does not have.
  if (domain == AF_INET && type == SOCK_PACKET) domain = AF_PACKET;
  if (domain != AF_INET) return SysRet(-EAFNOSUPPORT);
  if (protocol < 0 || protocol >= IPPROTO_MAX) return SysRet(-EINVAL);
  std::unique_ptr<Sock> sk;
  if (int r = p->stack().inet().CreateSocket(type, protocol, &sk); r < 0) return SysRet(r);
  auto f = std::make_shared<File>();
  f->sock = std::move(sk);
  f->nonblock = (flags & SOCK_NONBLOCK) != 0;
  return SysRet(p->fds().Install(std::move(f)));
}

int bind(int fd, const sockaddr* addr, socklen_t len) {
  FdRef r = Lookup(fd);
  if (r.err) return SysRet(r.err);
  if (!AddrLenOk(len)) return SysRet(-EINVAL);
  return SysRet(r.file->sock->Bind(addr, len));
}

int connect(int fd, const sockaddr* addr, socklen_t len) {
  FdRef r = Lookup(fd);
  if (r.err) return SysRet(r.err);
  if (!AddrLenOk(len)) return SysRet(-EINVAL);
  Sock& sk = *r.file->sock;
  int c = sk.Connect(addr, len, r.file->nonblock);
  if (c == -EINPROGRESS && !r.file->nonblock) {
    int w = Wait(*r.proc, sk, POLLOUT, sk.sndtimeo());
    if (w == -EAGAIN) return SysRet(-EINPROGRESS);  // SO_SNDTIMEO ran out
    if (w < 0) return SysRet(w);
    // inet_stream_connect after the wait: connected, or the error that
    // ended the attempt (the socket's own state decides, once).
    c = sk.Connect(addr, len, true);
    if (c == -EISCONN) c = 0;
  }
  return SysRet(c);
}

int listen(int fd, int backlog) {
  FdRef r = Lookup(fd);
  if (r.err) return SysRet(r.err);
  return SysRet(r.file->sock->Listen(backlog));
}

int accept(int fd, sockaddr* addr, socklen_t* len) { return SysRet(DoAccept(fd, addr, len, 0)); }
int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  return SysRet(DoAccept(fd, addr, len, flags));
}

ssize_t sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* addr,
               socklen_t alen) {
  if (buf == nullptr && len != 0) return SysRet<ssize_t>(-EFAULT);
  if (addr != nullptr && !AddrLenOk(alen)) return SysRet<ssize_t>(-EINVAL);
  iovec iov{const_cast<void*>(buf), len};
  msghdr m = SimpleMsg(&iov, addr, alen);
  return SysRet(DoSendMsg(fd, m, flags));
}

ssize_t send(int fd, const void* buf, size_t len, int flags) {
  return sendto(fd, buf, len, flags, nullptr, 0);
}

ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
  if (msg == nullptr) return SysRet<ssize_t>(-EFAULT);
  return SysRet(DoSendMsg(fd, *msg, flags));
}

ssize_t recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* addr, socklen_t* alen) {
  if (buf == nullptr && len != 0) return SysRet<ssize_t>(-EFAULT);
  if (addr != nullptr && alen == nullptr) return SysRet<ssize_t>(-EFAULT);
  if (alen != nullptr && static_cast<int>(*alen) < 0) return SysRet<ssize_t>(-EINVAL);
  iovec iov{buf, len};
  msghdr m = SimpleMsg(&iov, addr, alen ? *alen : 0);
  ssize_t n = DoRecvMsg(fd, m, flags);
  if (n >= 0 && addr != nullptr) *alen = m.msg_namelen;
  return SysRet(n);
}

ssize_t recv(int fd, void* buf, size_t len, int flags) {
  return recvfrom(fd, buf, len, flags, nullptr, nullptr);
}

ssize_t recvmsg(int fd, msghdr* msg, int flags) {
  if (msg == nullptr) return SysRet<ssize_t>(-EFAULT);
  return SysRet(DoRecvMsg(fd, *msg, flags));
}

ssize_t read(int fd, void* buf, size_t len) { return recv(fd, buf, len, 0); }
ssize_t write(int fd, const void* buf, size_t len) { return send(fd, buf, len, 0); }

ssize_t readv(int fd, const iovec* iov, int iovcnt) {
  if (iovcnt < 0 || static_cast<size_t>(iovcnt) > kIovMax) return SysRet<ssize_t>(-EINVAL);
  msghdr m{};
  m.msg_iov = const_cast<iovec*>(iov);
  m.msg_iovlen = static_cast<size_t>(iovcnt);
  return SysRet(DoRecvMsg(fd, m, 0));
}

ssize_t writev(int fd, const iovec* iov, int iovcnt) {
  if (iovcnt < 0 || static_cast<size_t>(iovcnt) > kIovMax) return SysRet<ssize_t>(-EINVAL);
  msghdr m{};
  m.msg_iov = const_cast<iovec*>(iov);
  m.msg_iovlen = static_cast<size_t>(iovcnt);
  return SysRet(DoSendMsg(fd, m, 0));
}

int shutdown(int fd, int how) {
  FdRef r = Lookup(fd);
  if (r.err) return SysRet(r.err);
  return SysRet(r.file->sock->Shutdown(how));
}

int close(int fd) {
  Process* p = CurrentProcess();
  if (p == nullptr) return SysRet(-EBADF);
  return SysRet(p->fds().Close(fd));
}

int getsockopt(int fd, int level, int name, void* val, socklen_t* len) {
  FdRef r = Lookup(fd);
  if (r.err) return SysRet(r.err);
  if (len == nullptr) return SysRet(-EFAULT);
  return SysRet(r.file->sock->GetSockOpt(level, name, val, len));
}

int setsockopt(int fd, int level, int name, const void* val, socklen_t len) {
  FdRef r = Lookup(fd);
  if (r.err) return SysRet(r.err);
  if (static_cast<int>(len) < 0) return SysRet(-EINVAL);
  return SysRet(r.file->sock->SetSockOpt(level, name, val, len));
}

int getsockname(int fd, sockaddr* addr, socklen_t* len) {
  FdRef r = Lookup(fd);
  if (r.err) return SysRet(r.err);
  return SysRet(GetName(*r.file->sock, false, addr, len));
}

int getpeername(int fd, sockaddr* addr, socklen_t* len) {
  FdRef r = Lookup(fd);
  if (r.err) return SysRet(r.err);
  return SysRet(GetName(*r.file->sock, true, addr, len));
}

int fcntl(int fd, int cmd, long arg) {
  FdRef r = LookupFile(fd);
  if (r.err) return SysRet(r.err);
  switch (cmd) {
    case F_GETFL:
      return O_RDWR | (r.file->nonblock ? O_NONBLOCK : 0);
    case F_SETFL:
      r.file->nonblock = (arg & O_NONBLOCK) != 0;
      return 0;
    case F_GETFD:
    case F_SETFD:
      return 0;  // close-on-exec has no meaning without exec
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      if (arg < 0) return SysRet(-EINVAL);
      FdTable& t = r.proc->fds();
      for (int n = std::max<int>(static_cast<int>(arg), FdTable::kFirstFd); n < INT_MAX; ++n) {
        if (!t.Get(n)) return SysRet(t.InstallAt(n, r.file));
      }
      return SysRet(-EMFILE);
    }
    default:
      return SysRet(-EINVAL);
  }
}

int ioctl(int fd, unsigned long request, void* arg) {
  FdRef r = LookupFile(fd);
  if (r.err) return SysRet(r.err);
  if (request == FIONBIO) {
    if (arg == nullptr) return SysRet(-EFAULT);
    r.file->nonblock = *static_cast<int*>(arg) != 0;
    return 0;
  }
  // Linux 6.18: an epoll file's own ioctl handler (EPIOCSPARAMS,
  // EPIOCGPARAMS) answers EINVAL for any other request.
  if (!r.file->sock) return SysRet(-EINVAL);
  return SysRet(r.file->sock->Ioctl(request, arg));
}

int poll(pollfd* fds, nfds_t nfds, int timeout_ms) {
  Process* p = CurrentProcess();
  if (nfds > static_cast<nfds_t>(1 << 20)) return SysRet(-EINVAL);
  if (fds == nullptr && nfds > 0) return SysRet(-EFAULT);
  auto scan = [&] {
    int ready = 0;
    for (nfds_t i = 0; i < nfds; ++i) {
      fds[i].revents = 0;
      if (fds[i].fd < 0) continue;
      std::shared_ptr<File> f = p ? p->fds().Get(fds[i].fd) : nullptr;
      if (!f || !f->sock) {
        fds[i].revents = POLLNVAL;
      } else {
        const uint32_t want = static_cast<uint16_t>(fds[i].events) | POLLERR | POLLHUP;
        fds[i].revents = static_cast<short>(f->sock->Poll() & want);
      }
      if (fds[i].revents != 0) ++ready;
    }
    return ready;
  };
  int ready = scan();
  if (ready > 0 || timeout_ms == 0 || p == nullptr) return ready;
  EventLoop& loop = p->stack().loop();
  const absl::Time deadline =
      timeout_ms < 0 ? absl::InfiniteFuture() : loop.clock().Now() + absl::Milliseconds(timeout_ms);
  const int w = WaitFor(
      loop, [&] { return scan() > 0; }, deadline);
  if (w == -EDEADLK) return SysRet(-EDEADLK);
  return scan();
}

int epoll_create1(int flags) {
  Process* p = CurrentProcess();
  if (p == nullptr) return SysRet(-ENETDOWN);
  if (flags & ~EPOLL_CLOEXEC) return SysRet(-EINVAL);
  auto f = std::make_shared<File>();
  f->epoll = std::make_unique<Epoll>();
  return SysRet(p->fds().Install(std::move(f)));
}

int epoll_create(int size) {
  if (size <= 0) return SysRet(-EINVAL);
  return epoll_create1(0);
}

int epoll_ctl(int epfd, int op, int fd, epoll_event* event) {
  // Linux copies the event in (every op but DEL has one) before it looks
  // at either descriptor.
  if (op != EPOLL_CTL_DEL && event == nullptr) return SysRet(-EFAULT);
  FdRef ep = LookupFile(epfd);
  if (ep.err) return SysRet(ep.err);
  FdRef target = LookupFile(fd);
  if (target.err) return SysRet(target.err);
  if (!ep.file->epoll || fd == epfd) return SysRet(-EINVAL);
  if (!target.file->sock) return SysRet(-EPERM);  // (nested epoll is not supported)
  return SysRet(ep.file->epoll->Ctl(op, fd, target.file, event));
}

int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout_ms) {
  FdRef ep = LookupFile(epfd);
  if (ep.err) return SysRet(ep.err);
  if (!ep.file->epoll) return SysRet(-EINVAL);
  if (maxevents <= 0) return SysRet(-EINVAL);
  if (events == nullptr) return SysRet(-EFAULT);
  Epoll& e = *ep.file->epoll;
  int n = e.Collect(events, maxevents);
  if (n > 0 || timeout_ms == 0) return n;
  EventLoop& loop = ep.proc->stack().loop();
  const absl::Time deadline =
      timeout_ms < 0 ? absl::InfiniteFuture() : loop.clock().Now() + absl::Milliseconds(timeout_ms);
  for (;;) {
    const int w = WaitFor(
        loop, [&] { return e.MaybeReady(); }, deadline);
    n = e.Collect(events, maxevents);
    if (n > 0) return n;
    if (w == -EDEADLK) return SysRet(-EDEADLK);
    if (w == -EAGAIN) return 0;  // timed out
  }
}

int dup(int fd) {
  FdRef r = LookupFile(fd);
  if (r.err) return SysRet(r.err);
  return SysRet(r.proc->fds().Install(r.file));
}

int dup2(int fd, int fd2) {
  FdRef r = LookupFile(fd);
  if (r.err) return SysRet(r.err);
  if (fd == fd2) return fd2;
  return SysRet(r.proc->fds().InstallAt(fd2, r.file));
}

}  // namespace usnet::sys
