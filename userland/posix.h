// The one socket header userland programs include. Built normally, the
// POSIX names come from usnet's embedded system calls (usnet::sys); built
// with USNET_USERLAND_LIBC defined, the very same source uses the host's
// libc. Programs call them as posix::socket(...), posix::read(...).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#ifdef USNET_USERLAND_LIBC
#include <unistd.h>
namespace posix {
using ::accept;
using ::accept4;
using ::bind;
using ::close;
using ::connect;
using ::epoll_create1;
using ::epoll_ctl;
using ::epoll_wait;
using ::fcntl;
using ::getpeername;
using ::getsockname;
using ::getsockopt;
using ::listen;
using ::poll;
using ::read;
using ::recv;
using ::recvfrom;
using ::send;
using ::sendto;
using ::setsockopt;
using ::shutdown;
using ::socket;
using ::write;
}  // namespace posix
#else
#include "syscalls/socket_api.h"
namespace posix = usnet::sys;
#endif
