// Sock: the protocol-independent socket (Linux struct socket + struct sock
// + proto_ops in one). The syscall layer calls these methods; each returns
// a result >= 0 or a negative Linux errno, and never blocks: a call that
// would block returns -EAGAIN (or -EINPROGRESS) and the syscall layer waits
// on wq() for the readiness bits Poll() reports, honouring O_NONBLOCK and
// SO_RCVTIMEO/SO_SNDTIMEO.
//
// The generic part here holds what every socket has: buffer limits and
// accounting, the pending error (sk_err), the error queue (IP_RECVERR),
// shutdown state, common SOL_SOCKET options and the wait queue.
#pragma once

#include <time.h>  // before linux/errqueue.h, which needs struct timespec
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>

#include "absl/time/time.h"
#include "kernel/wait.h"
#include "net/core/net_core.h"
#include "net/core/skb_queue.h"

namespace usnet {

// What an error-queue skb carries (Linux struct sock_exterr_skb).
struct SockExterrCb {
  static constexpr uint8_t kCbTag = 1;
  sock_extended_err ee;
  sockaddr_in offender;  // the address that reported the error
  sockaddr_in dest;      // where the failed packet was going (msg_name)
};

inline constexpr uint32_t kSendShutdown = 2;  // Linux SEND_SHUTDOWN
inline constexpr uint32_t kRcvShutdown = 1;   // Linux RCV_SHUTDOWN

class Sock {
 public:
  Sock(NetCore& core, int family, int type, int protocol);
  virtual ~Sock();
  Sock(const Sock&) = delete;
  Sock& operator=(const Sock&) = delete;

  // --- proto_ops ---
  virtual int Bind(const sockaddr* addr, socklen_t len) = 0;
  virtual int Connect(const sockaddr* addr, socklen_t len, bool nonblock) = 0;
  virtual ssize_t SendMsg(const msghdr& msg, int flags) = 0;
  virtual ssize_t RecvMsg(msghdr& msg, int flags) = 0;
  virtual int Listen(int backlog) {
    (void)backlog;
    return -EOPNOTSUPP;
  }
  virtual int Accept(std::unique_ptr<Sock>* child) {
    (void)child;
    return -EOPNOTSUPP;
  }
  virtual int Shutdown(int how) = 0;
  // The last reference went away (close). The socket may live on in the
  // stack (TCP's FIN exchange) and deletes itself when done, or is deleted
  // by the caller when this returns true.
  virtual bool Close() = 0;
  virtual int GetName(sockaddr* addr, socklen_t* len, bool peer) = 0;
  virtual uint32_t Poll() = 0;
  virtual int SetSockOpt(int level, int name, const void* val, socklen_t len);
  virtual int GetSockOpt(int level, int name, void* val, socklen_t* len);
  virtual int Ioctl(unsigned long request, void* arg);

  // --- Common state ---
  NetCore& core() { return core_; }
  int family() const { return family_; }
  int type() const { return type_; }
  int protocol() const { return protocol_; }
  WaitQueue& wq() { return wq_; }
  absl::Duration rcvtimeo() const { return rcvtimeo_; }
  absl::Duration sndtimeo() const { return sndtimeo_; }
  // sock_error: returns and clears the pending error as -errno (0 if none).
  int TakeError();
  // Sets sk_err and wakes waiters (sk_error_report).
  void ReportError(int err);
  // Queues an ICMP-derived error for MSG_ERRQUEUE (ip_icmp_error). The skb
  // holds the bytes to return (the original payload) and a SockExterrCb.
  void QueueError(SkbPtr skb);
  // Wakes waiters with the current readiness.
  void Wake() { wq_.Wake(Poll()); }

  // Receive-buffer accounting (sk_rmem_alloc vs sk_rcvbuf).
  uint32_t rcvbuf() const { return rcvbuf_; }
  uint32_t sndbuf() const { return sndbuf_; }
  uint64_t rmem_alloc() const { return rmem_alloc_; }

 protected:
  // Generic MSG_ERRQUEUE receive (ip_recv_error).
  ssize_t RecvError(msghdr& msg, int flags);
  // Readiness common to datagram sockets (datagram_poll).
  uint32_t DatagramPoll(bool has_data, bool writable);
  void ChargeRmem(const SkBuff& skb) { rmem_alloc_ += skb.truesize(); }
  void UnchargeRmem(const SkBuff& skb) { rmem_alloc_ -= skb.truesize(); }
  void PurgeQueues();

  NetCore& core_;
  int family_, type_, protocol_;
  WaitQueue wq_;
  SkbQueue receive_queue_;
  SkbQueue error_queue_;
  uint32_t rcvbuf_, sndbuf_;
  uint64_t rmem_alloc_ = 0;
  uint64_t wmem_alloc_ = 0;
  int err_ = 0;
  uint32_t shutdown_ = 0;
  bool reuseaddr_ = false;
  bool reuseport_ = false;
  bool broadcast_ = false;
  bool keepalive_ = false;
  bool recverr_ = false;
  linger linger_{0, 0};
  absl::Duration rcvtimeo_ = absl::InfiniteDuration();
  absl::Duration sndtimeo_ = absl::InfiniteDuration();
};

// Copies a sockaddr_in out honouring the caller's buffer length (like the
// kernel's move_addr_to_user: truncate, report the full length).
void PutSockaddrIn(const sockaddr_in& sin, sockaddr* addr, socklen_t* len);
// Validates and reads an AF_INET address: -EINVAL if short, -EAFNOSUPPORT if
// another family (AF_UNSPEC accepted when `allow_unspec`).
int GetSockaddrIn(const sockaddr* addr, socklen_t len, sockaddr_in* out, bool allow_unspec);

}  // namespace usnet
