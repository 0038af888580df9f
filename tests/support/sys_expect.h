// Expectations for the embedded socket API, which fails the Linux way:
// -1 with errno set. The macros capture errno right after the call, before
// gtest can disturb it, and print errno by name. Plus the small helpers
// socket-API tests share.
//
//   EXPECT_SYS_ERR(sys::bind(fd, Sa(addr), 4), EINVAL);
//   EXPECT_SYS_OK(sys::listen(fd, 5));
//   EXPECT_EQ(GetSockInt(fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "syscalls/socket_api.h"

namespace usnet::testing {

// "EINVAL" for EINVAL (glibc's strerrorname_np), or the number.
inline std::string ErrnoName(int e) {
  const char* n = e == 0 ? "0" : strerrorname_np(e);
  return n != nullptr ? n : std::to_string(e);
}

inline const sockaddr* Sa(const sockaddr_in& s) { return reinterpret_cast<const sockaddr*>(&s); }

// An int option's value (-1 and a test failure if getsockopt fails).
inline int GetSockInt(int fd, int level, int name) {
  int v = -1;
  socklen_t n = sizeof(v);
  const int r = sys::getsockopt(fd, level, name, &v, &n);
  const int e = errno;
  EXPECT_EQ(r, 0) << "getsockopt(" << level << ", " << name << "): " << ErrnoName(e);
  EXPECT_EQ(n, sizeof(v));
  return v;
}

// Sets an int option; 0 or the errno it failed with.
inline int SetSockInt(int fd, int level, int name, int v) {
  return sys::setsockopt(fd, level, name, &v, sizeof(v)) == 0 ? 0 : errno;
}

}  // namespace usnet::testing

#define USNET_SYS_ERR_IMPL_(fail, call, err)                             \
  do {                                                                   \
    errno = 0;                                                           \
    const long sys_ret_ = static_cast<long>(call);                       \
    const int sys_errno_ = errno;                                        \
    fail(sys_ret_ == -1 && sys_errno_ == (err))                          \
        << #call << " returned " << sys_ret_ << " errno "                \
        << ::usnet::testing::ErrnoName(sys_errno_) << "; want -1 errno " \
        << ::usnet::testing::ErrnoName(err);                             \
  } while (0)

#define USNET_SYS_OK_IMPL_(fail, call)                                                      \
  do {                                                                                      \
    errno = 0;                                                                              \
    const long sys_ret_ = static_cast<long>(call);                                          \
    const int sys_errno_ = errno;                                                           \
    fail(sys_ret_ >= 0) << #call << " failed: " << ::usnet::testing::ErrnoName(sys_errno_); \
  } while (0)

// The call returns -1 and sets errno to `err`.
#define EXPECT_SYS_ERR(call, err) USNET_SYS_ERR_IMPL_(EXPECT_TRUE, call, err)
#define ASSERT_SYS_ERR(call, err) USNET_SYS_ERR_IMPL_(ASSERT_TRUE, call, err)
// The call succeeds (returns >= 0).
#define EXPECT_SYS_OK(call) USNET_SYS_OK_IMPL_(EXPECT_TRUE, call)
#define ASSERT_SYS_OK(call) USNET_SYS_OK_IMPL_(ASSERT_TRUE, call)
