// ICMP echo ("ping") sockets: socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP),
// Linux net/ipv4/ping.c. The user writes an echo request header + data;
// the socket's identifier (its "port") replaces the id, the checksum is
// filled in, and echo replies carrying that id come back to it. Errors about
// its requests (host unreachable, TTL exceeded) reach it like UDP's do.
#pragma once

#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "net/ipv4/inet_sock.h"

namespace usnet {

class Ping;

class PingSock final : public DgramSock {
 public:
  explicit PingSock(Ping& ping);
  ~PingSock() override;
  int Bind(const sockaddr* addr, socklen_t len) override { return InetBind(addr, len); }
  ssize_t SendMsg(const msghdr& msg, int flags) override;

 protected:
  int GetPort(uint16_t ident) override;
  void Unhash() override;
  Port SourcePort(const SkBuff&) const override { return Port(); }

 private:
  friend class Ping;
  Ping& ping_;
  bool hashed_ = false;
};

class Ping {
 public:
  explicit Ping(Inet& inet) : inet_(inet) {}
  // An echo reply (skb->data at the ICMP header) for one of our sockets.
  void Rcv(SkbPtr skb);
  // An ICMP error quoting one of our echo requests.
  void Err(const IcmpErr& err);
  std::unique_ptr<PingSock> CreateSock() { return std::make_unique<PingSock>(*this); }
  Inet& inet() { return inet_; }

 private:
  friend class PingSock;
  int GetPort(PingSock* sk, uint16_t ident);
  void Unhash(PingSock* sk);
  PingSock* Lookup(uint16_t ident, Ipv4Addr local, Ipv4Addr remote) const;

  Inet& inet_;
  absl::flat_hash_map<uint16_t, std::vector<PingSock*>> idents_;
  uint16_t rover_ = 0;  // ping_port_rover: next ident to try
};

}  // namespace usnet
