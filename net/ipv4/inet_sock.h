// InetSock: what every AF_INET socket adds to Sock (Linux struct inet_sock):
// local and remote address/port, IP-level options (IP_TTL, IP_TOS,
// IP_RECVERR, IP_MTU_DISCOVER), bind with its address checks, and
// getsockname/getpeername. DgramSock adds what UDP and ping sockets share:
// datagram connect/disconnect, the receive queue and recvmsg, shutdown.
#pragma once

#include "net/core/sock.h"
#include "net/ipv4/inet.h"

namespace usnet {

class InetSock : public Sock {
 public:
  InetSock(Inet& inet, int type, int protocol);

  int GetName(sockaddr* addr, socklen_t* len, bool peer) override;
  int SetSockOpt(int level, int name, const void* val, socklen_t len) override;
  int GetSockOpt(int level, int name, void* val, socklen_t* len) override;

  Inet& inet() { return inet_; }
  Ipv4Addr local_addr() const { return rcv_saddr_; }
  Port local_port() const { return sport_; }
  Ipv4Addr remote_addr() const { return daddr_; }
  Port remote_port() const { return dport_; }
  bool reuseaddr() const { return reuseaddr_; }
  bool reuseport() const { return reuseport_; }

 protected:
  // inet_bind's checks, then GetPort (which also hashes the socket).
  int InetBind(const sockaddr* addr, socklen_t len);
  // Claims `port` (0: pick an ephemeral one) for this socket and puts it in
  // the protocol's lookup table. Returns 0 or -EADDRINUSE / -EAGAIN.
  virtual int GetPort(uint16_t port) = 0;
  virtual void Unhash() = 0;
  IpTxParams TxParams(Ipv4Addr src, Ipv4Addr dst, size_t ip_len, uint32_t mtu) const;

  Inet& inet_;
  Ipv4Addr rcv_saddr_;  // bound local address (0: any)
  Ipv4Addr saddr_;      // source address used for sending
  Port sport_;
  Ipv4Addr daddr_;
  Port dport_;
  bool bind_addr_locked_ = false;  // SOCK_BINDADDR_LOCK
  bool bind_port_locked_ = false;  // SOCK_BINDPORT_LOCK
  int ttl_ = -1;                   // IP_TTL (-1: default)
  uint8_t tos_ = 0;
  int pmtudisc_ = IP_PMTUDISC_WANT;
  bool recvttl_ = false;  // IP_RECVTTL: deliver the TTL as a control message
};

class DgramSock : public InetSock {
 public:
  using InetSock::InetSock;
  int Connect(const sockaddr* addr, socklen_t len, bool nonblock) override;
  ssize_t RecvMsg(msghdr& msg, int flags) override;
  int Shutdown(int how) override;
  bool Close() override;
  uint32_t Poll() override;
  int Ioctl(unsigned long request, void* arg) override;
  bool connected() const { return connected_; }

  // Whether the receive buffer takes one more datagram: Linux lets the
  // queue overshoot rcvbuf by one skb (__udp_enqueue_schedule_skb).
  bool CanEnqueue() const { return rmem_alloc_ <= rcvbuf_; }
  // Queues a received datagram (skb->data at what recvmsg returns).
  void Enqueue(SkbPtr skb);
  // ip_icmp_error + sk_err: an ICMP error about something this socket sent.
  // `payload` is what MSG_ERRQUEUE returns (the original payload).
  void IcmpError(const IcmpErr& err, std::span<const std::byte> payload, uint16_t port);

 protected:
  virtual Port SourcePort(const SkBuff& skb) const = 0;
  virtual void CountRecv() {}
  // Resolves the destination of a send: msg_name or the connected peer.
  int SendDest(const msghdr& msg, Ipv4Addr* dst, Port* port, bool port_required);

  bool connected_ = false;
};

}  // namespace usnet
