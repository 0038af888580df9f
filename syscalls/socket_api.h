// The socket system calls, embedded: the POSIX names and signatures, in
// namespace usnet::sys, acting on the calling thread's current Process.
// Each returns what Linux returns and sets errno exactly as Linux would;
// the stack below returns negative errnos and this layer is the one place
// that turns them into -1 + errno (SysRet).
//
// Blocking calls block the caller: in an embedded program the calling
// thread runs the host's event loop until the socket is ready or the
// socket's SO_RCVTIMEO/SO_SNDTIMEO passes (then EAGAIN, as Linux). In
// virtual time, a blocking call that nothing could ever complete (no timer
// pending, nothing in flight) fails with EDEADLK instead of hanging.
#pragma once

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

namespace usnet::sys {

int socket(int domain, int type, int protocol);
int bind(int fd, const sockaddr* addr, socklen_t len);
int connect(int fd, const sockaddr* addr, socklen_t len);
int listen(int fd, int backlog);
int accept(int fd, sockaddr* addr, socklen_t* len);
int accept4(int fd, sockaddr* addr, socklen_t* len, int flags);
ssize_t send(int fd, const void* buf, size_t len, int flags);
ssize_t sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* addr,
               socklen_t alen);
ssize_t sendmsg(int fd, const msghdr* msg, int flags);
ssize_t recv(int fd, void* buf, size_t len, int flags);
ssize_t recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* addr, socklen_t* alen);
ssize_t recvmsg(int fd, msghdr* msg, int flags);
ssize_t read(int fd, void* buf, size_t len);
ssize_t write(int fd, const void* buf, size_t len);
ssize_t readv(int fd, const iovec* iov, int iovcnt);
ssize_t writev(int fd, const iovec* iov, int iovcnt);
int shutdown(int fd, int how);
int close(int fd);
int getsockopt(int fd, int level, int name, void* val, socklen_t* len);
int setsockopt(int fd, int level, int name, const void* val, socklen_t len);
int getsockname(int fd, sockaddr* addr, socklen_t* len);
int getpeername(int fd, sockaddr* addr, socklen_t* len);
int fcntl(int fd, int cmd, long arg = 0);
int ioctl(int fd, unsigned long request, void* arg);
int poll(pollfd* fds, nfds_t nfds, int timeout_ms);
int epoll_create1(int flags);
int epoll_create(int size);
int epoll_ctl(int epfd, int op, int fd, epoll_event* event);
int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout_ms);
int dup(int fd);
int dup2(int fd, int fd2);

}  // namespace usnet::sys
