// IPv4 reassembly (Linux net/ipv4/ip_fragment.c, ip_defrag). Fragments are
// queued per (src, dst, id, protocol) in offset order. A queue completes
// when the first and last fragments are in and no gap is left; the datagram
// is then rebuilt into one buffer (a copy the ledger records as
// "reassemble"). Rules, as Linux:
// - a queue lives ipfrag_time (30 s); on expiry it is dropped (ReasmTimeout)
//   and, if the first fragment came, ICMP "fragment reassembly time
//   exceeded" goes to the sender;
// - all queues together hold at most ipfrag_high_thresh bytes; above that,
//   fragments are dropped (ReasmFails) until queues expire or complete;
// - a fragment that exactly repeats one held is dropped (DUP_FRAG); one that
//   partly overlaps any held fragment discards the whole queue
//   (ReasmOverlaps, RFC 5722's rule, which Linux applies to IPv4 too);
// - a datagram that would exceed 65535 bytes, or fragments that disagree
//   about its end, discard the queue.
#pragma once

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "kernel/timer_wheel.h"
#include "net/core/drop_reason.h"
#include "net/core/skb_queue.h"
#include "net/wire/ipv4.h"

namespace usnet {

class Inet;

class IpFrags {
 public:
  explicit IpFrags(Inet& inet);
  ~IpFrags();

  // Takes a fragment (skb->data at its IP header). Returns the whole
  // datagram (data at its IP header) when this fragment completed it.
  SkbPtr Defrag(SkbPtr skb);

  uint64_t mem() const { return mem_; }
  size_t queues() const { return queues_.size(); }

 private:
  struct Key {
    uint32_t src, dst;
    uint16_t id;
    uint8_t protocol;
    friend bool operator==(const Key&, const Key&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.src, k.dst, k.id, k.protocol);
    }
  };
  struct Queue;
  void Kill(Queue& q, DropReason reason);
  void Expire(Queue& q);
  SkbPtr Reassemble(Queue& q);

  Inet& inet_;
  absl::flat_hash_map<Key, std::unique_ptr<Queue>> queues_;
  uint64_t mem_ = 0;
};

}  // namespace usnet
