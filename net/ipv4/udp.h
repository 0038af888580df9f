// UDP (RFC 768; Linux net/ipv4/udp.c): checksum, port demultiplexing with
// Linux's scoring (a socket bound to the exact address, or connected to the
// sender, beats a wildcard one), delivery to every match for broadcasts,
// ICMP port unreachable for unicast to a closed port, and sockets.
#pragma once

#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "net/ipv4/inet_sock.h"

namespace usnet {

class Udp;

class UdpSock final : public DgramSock {
 public:
  explicit UdpSock(Udp& udp);
  ~UdpSock() override;
  int Bind(const sockaddr* addr, socklen_t len) override { return InetBind(addr, len); }
  ssize_t SendMsg(const msghdr& msg, int flags) override;

 protected:
  int GetPort(uint16_t port) override;
  void Unhash() override;
  Port SourcePort(const SkBuff& skb) const override;
  void CountRecv() override;

 private:
  friend class Udp;
  Udp& udp_;
  bool hashed_ = false;
};

class Udp final : public InetProtocol {
 public:
  explicit Udp(Inet& inet);
  void Rcv(SkbPtr skb) override;  // udp_rcv
  void Err(const IcmpErr& err) override;  // udp_err

  std::unique_ptr<UdpSock> CreateSock() { return std::make_unique<UdpSock>(*this); }
  Inet& inet() { return inet_; }
  // Best-scoring socket for a datagram from (saddr, sport) to (daddr, dport).
  UdpSock* Lookup(Ipv4Addr saddr, Port sport, Ipv4Addr daddr, Port dport) const;
  size_t sockets() const;

 private:
  friend class UdpSock;
  int GetPort(UdpSock* sk, uint16_t port);
  void Unhash(UdpSock* sk);
  bool InUse(const UdpSock* sk, uint16_t port) const;
  static int Score(const UdpSock* sk, Ipv4Addr saddr, Port sport, Ipv4Addr daddr);
  void DeliverMulti(SkbPtr skb, Ipv4Addr saddr, Port sport, Ipv4Addr daddr, Port dport);
  // __udp_queue_rcv_skb: queue, or drop and count when the buffer is full.
  void Deliver(UdpSock* sk, SkbPtr skb);

  Inet& inet_;
  absl::flat_hash_map<uint16_t, std::vector<UdpSock*>> ports_;
};

}  // namespace usnet
