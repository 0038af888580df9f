// sk_buff: one buffer per packet, with headroom reserved at allocation for
// the largest header stack so transmit never reallocates.
//
//   head_ <= data_ <= tail_ <= end_   within one contiguous data block
//   Reserve(n)  empty buffer only: move data and tail forward (headroom)
//   Push(n)     prepend a header into the headroom, returns the new data
//   Pull(n)     strip a header from the front, returns the new data
//   Put(n)      append n bytes at the tail, returns where they go
//   Trim(len)   cut the data down to len bytes
// Push/Pull/Put that would cross a boundary are refused: they return nullptr
// and change nothing (Linux BUG()s on push underflow; we let callers decide).
//
// The data block is shared by clones (Clone()) with a reference count, as
// TCP keeps the original on its retransmit queue and transmits clones. A
// clone may write headers only into headroom nobody else still needs:
// HeaderShared() says whether another reference still uses the bytes before
// data (Linux skb_header_cloned); ReleaseHeader() promises this reference
// never will (Linux __skb_header_release).
//
// Paged data (Linux skb_shinfo(skb)->frags, with one fragment): besides
// the linear bytes [data, tail), a packet may end in a fragment that
// points into another packet's data block, pinned by a reference. TCP
// transmits this way: a small header packet whose fragment is a slice of
// the payload sitting on the retransmit queue, so neither a segment nor a
// 64 KiB super-frame ever copies payload, and splitting a queued segment
// copies nothing either. len() counts both parts (Linux skb->len);
// headlen() is the linear part (skb_headlen); span()/cspan() cover only the
// linear part, where every header lives. Pull and Trim work across both
// parts; Put and Push only on the linear part (Put refuses once a fragment
// is attached).
//
// Ownership is explicit: SkbPtr is a move-only handle, and every path ends in
// NetCore::Consume(skb) or NetCore::Drop(skb, reason). Destroying a non-empty
// SkbPtr frees the packet but counts it as an unaccounted free, which tests
// treat as a bug.
//
//   SkbPtr skb = pool.Alloc(kMaxHeaderRoom + payload_len);
//   skb->Reserve(kMaxHeaderRoom);
//   std::byte* p = skb->Put(payload_len);
//   std::byte* udp = skb->Push(8);
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <type_traits>

#include "kernel/check.h"
#include "kernel/slab.h"

namespace usnet {

class NetDevice;
class SkBuff;
class SkbPool;

// Headroom that fits every header usnet can stack below a payload:
// virtio-net header (12) + Ethernet (14) + IPv4 with options (60) + TCP with
// options (60) = 146, rounded up to a cache-line multiple. Linux reserves
// MAX_TCP_HEADER for the same reason.
inline constexpr size_t kMaxHeaderRoom = 192;
// Linux NET_SKB_PAD: headroom drivers leave in front of received frames.
inline constexpr size_t kRxHeadroom = 64;

enum class PacketType : uint8_t {  // Linux PACKET_* (skb->pkt_type)
  kHost,
  kBroadcast,
  kMulticast,
  kOtherHost,
  kOutgoing,
  kLoopback,
};

enum class CsumState : uint8_t {  // Linux CHECKSUM_* (skb->ip_summed)
  kNone,                          // nothing known: verify in software
  kUnnecessary,                   // the device verified it
  kComplete,                      // csum holds the sum over the packet from csum_start
  kPartial,                       // TX: the device must fill csum_start/csum_offset
};

enum class GsoType : uint8_t { kNone, kTcpV4, kUdp };

// The control block: per-layer state while an skb sits on a queue (Linux
// skb->cb). The core cannot name protocol types, so each layer declares a
// trivially copyable struct with a unique `kCbTag` and uses Cb<T>(); Debug
// builds check that the type read is the type last initialized.
inline constexpr size_t kSkbCbSize = 48;

// Data block header, in front of the buffer (Linux keeps skb_shared_info at
// the end; in front keeps the buffer's end free for Put).
struct SkbShared {
  uint32_t dataref;    // SkBuffs pointing at this block
  uint32_t hdr_users;  // of those, how many still need their headroom
  uint32_t size;       // usable bytes that follow this header
  uint8_t size_class;  // which pool cache it came from
  std::byte* buffer() { return reinterpret_cast<std::byte*>(this) + kHeaderSize; }
  static constexpr size_t kHeaderSize = 64;  // keeps the buffer cache-line aligned
};

class SkBuff {
 public:
  SkBuff(const SkBuff&) = delete;
  SkBuff& operator=(const SkBuff&) = delete;

  // --- Geometry ---------------------------------------------------------
  std::byte* head() const { return head_; }
  std::byte* data() const { return data_; }
  std::byte* tail() const { return tail_; }
  std::byte* end() const { return end_; }
  uint32_t headlen() const { return static_cast<uint32_t>(tail_ - data_); }
  uint32_t len() const { return headlen() + frag_len_; }
  size_t headroom() const { return static_cast<size_t>(data_ - head_); }
  size_t tailroom() const { return frag_len_ != 0 ? 0 : static_cast<size_t>(end_ - tail_); }
  // The linear part (headers, and the whole packet when it has no fragment).
  std::span<std::byte> span() const { return {data_, headlen()}; }
  std::span<const std::byte> cspan() const { return {data_, headlen()}; }
  // The paged part (empty when none is attached).
  std::span<const std::byte> frag() const { return {frag_data_, frag_len_}; }
  bool has_frag() const { return frag_len_ != 0; }
  // The packet's bytes from `offset` on, as at most two contiguous pieces.
  template <typename F>
  void ForEachChunk(uint32_t offset, uint32_t n, F&& f) const {
    const uint32_t hl = headlen();
    if (offset < hl) {
      const uint32_t take = std::min(n, hl - offset);
      f(std::span<const std::byte>(data_ + offset, take));
      n -= take;
      offset = hl;
    }
    if (n > 0) f(std::span<const std::byte>(frag_data_ + (offset - hl), n));
  }

  // Inline: every layer calls these on every packet.
  // Only on an empty buffer (Linux skb_reserve). False if it does not fit.
  [[nodiscard]] bool Reserve(size_t n) {
    if (data_ != tail_ || n > tailroom()) return false;
    data_ += n;
    tail_ += n;
    return true;
  }
  [[nodiscard]] std::byte* Push(size_t n) {
    if (n > headroom()) return nullptr;
    data_ -= n;
    return data_;
  }
  // Returns the new data pointer, or nullptr if fewer than n bytes remain.
  // Pulling past the linear part eats into the fragment.
  [[nodiscard]] std::byte* Pull(size_t n) {
    if (n > len()) return nullptr;
    const uint32_t hl = headlen();
    if (n <= hl) {
      data_ += n;
    } else {
      data_ = tail_;
      frag_data_ += n - hl;
      frag_len_ -= static_cast<uint32_t>(n - hl);
    }
    return data_;
  }
  [[nodiscard]] std::byte* Put(size_t n) {
    if (n > tailroom()) return nullptr;
    std::byte* p = tail_;
    tail_ += n;
    return p;
  }
  // Cuts the data to `len` bytes; returns false if len > this->len(). A cut
  // inside the linear part lets go of the fragment.
  bool Trim(size_t n) {
    if (n > len()) return false;
    const uint32_t hl = headlen();
    if (n <= hl) {
      tail_ = data_ + n;
      ReleaseFrag();
    } else {
      frag_len_ = static_cast<uint32_t>(n - hl);
    }
    return true;
  }
  // Gives up the tailroom: after a split the bytes past tail belong to the
  // fragment of another packet, so nothing may be appended here.
  void SealTail() { end_ = tail_; }
  // Attaches bytes [p, p+n) of the data block holding `src`'s bytes (its
  // linear part or its fragment) as this packet's fragment; pins the block.
  // The range must lie in one of src's two parts. This packet must have
  // no fragment yet.
  void AttachFrag(const SkBuff& src, const std::byte* p, uint32_t n);
  // Moves data back over bytes a previous Pull stripped (Linux skb_push on RX,
  // e.g. to quote a header in an ICMP error). Same as Push, named for intent.
  [[nodiscard]] std::byte* Unpull(size_t n) { return Push(n); }

  // --- Header offsets (relative to head; Linux skb->*_header) ------------
  void SetMacHeader() { mac_ = Offset(data_); }
  void SetNetworkHeader() { network_ = Offset(data_); }
  void SetTransportHeader() { transport_ = Offset(data_); }
  void SetNetworkHeaderAt(const std::byte* p) { network_ = Offset(p); }
  void SetTransportHeaderAt(const std::byte* p) { transport_ = Offset(p); }
  std::byte* mac_header() const { return head_ + mac_; }
  std::byte* network_header() const { return head_ + network_; }
  std::byte* transport_header() const { return head_ + transport_; }
  bool has_mac_header() const { return mac_ != kUnset; }
  bool has_network_header() const { return network_ != kUnset; }
  bool has_transport_header() const { return transport_ != kUnset; }

  // --- Sharing ----------------------------------------------------------
  bool cloned() const { return shared_->dataref > 1; }
  // Another reference still needs the bytes before data (its headers).
  bool HeaderShared() const { return shared_->hdr_users > (header_released_ ? 0u : 1u); }
  void ReleaseHeader();
  bool header_released() const { return header_released_; }
  // Memory this packet pins: block + struct, plus the bytes of its
  // fragment (Linux skb->truesize counts page fragments by what they hold).
  uint32_t truesize() const {
    return static_cast<uint32_t>(sizeof(SkBuff) + SkbShared::kHeaderSize + shared_->size) +
           frag_len_;
  }

  // --- Metadata ---------------------------------------------------------
  NetDevice* dev = nullptr;
  uint16_t protocol = 0;  // EtherType of the payload, host order
  PacketType pkt_type = PacketType::kHost;
  CsumState ip_summed = CsumState::kNone;
  GsoType gso_type = GsoType::kNone;
  uint32_t csum_start = 0;   // kPartial: offset from head where summing starts
  uint16_t csum_offset = 0;  // kPartial: field offset from csum_start
  uint16_t gso_size = 0;     // payload bytes per segment of a GSO super-frame
  uint32_t csum = 0;         // kComplete: the partial sum
  int64_t tstamp_ns = 0;     // receive/transmit time (the loop's now)
  uint32_t mark = 0;         // free for tests and tools

  // --- Control block ----------------------------------------------------
  template <typename T>
  T& InitCb() {
    static_assert(sizeof(T) <= kSkbCbSize && std::is_trivially_copyable_v<T>);
    cb_tag_ = T::kCbTag;
    return *new (cb_) T{};
  }
  template <typename T>
  T& Cb() {
    static_assert(sizeof(T) <= kSkbCbSize && std::is_trivially_copyable_v<T>);
    USNET_DCHECK(cb_tag_ == T::kCbTag);
    return *std::launder(reinterpret_cast<T*>(cb_));
  }
  template <typename T>
  const T& Cb() const {
    return const_cast<SkBuff*>(this)->Cb<T>();
  }

  SkbPool& pool() const { return *pool_; }

 private:
  friend class SkbPool;
  friend class SkbQueue;
  friend class SkbPtr;
  static constexpr uint32_t kUnset = 0xffffffff;
  SkBuff() = default;
  uint32_t Offset(const std::byte* p) const { return static_cast<uint32_t>(p - head_); }

  SkbPool* pool_ = nullptr;
  SkbShared* shared_ = nullptr;
  std::byte* head_ = nullptr;
  std::byte* data_ = nullptr;
  std::byte* tail_ = nullptr;
  std::byte* end_ = nullptr;
  SkBuff* next_ = nullptr;  // SkbQueue links
  SkBuff* prev_ = nullptr;
  uint32_t mac_ = kUnset, network_ = kUnset, transport_ = kUnset;
  void ReleaseFrag();
  SkbShared* frag_shared_ = nullptr;  // the block the fragment lies in (pinned)
  const std::byte* frag_data_ = nullptr;
  uint32_t frag_len_ = 0;
  bool header_released_ = false;
  uint8_t cb_tag_ = 0;
  alignas(8) std::byte cb_[kSkbCbSize];
};

// Move-only owner of one SkBuff.
class SkbPtr {
 public:
  SkbPtr() = default;
  explicit SkbPtr(SkBuff* p) : p_(p) {}
  SkbPtr(SkbPtr&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  SkbPtr& operator=(SkbPtr&& o) noexcept;
  SkbPtr(const SkbPtr&) = delete;
  SkbPtr& operator=(const SkbPtr&) = delete;
  // Inline: most handles die empty (moved from) on the way up the stack.
  ~SkbPtr() {
    if (p_ != nullptr) FreeUnaccounted();
  }

  SkBuff* get() const { return p_; }
  SkBuff* operator->() const { return p_; }
  SkBuff& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  // Gives up ownership (for intrusive queues).
  SkBuff* release() {
    SkBuff* p = p_;
    p_ = nullptr;
    return p;
  }

 private:
  // A packet that ended without Consume or Drop: counted, then freed.
  void FreeUnaccounted();
  SkBuff* p_ = nullptr;
};

struct SkbPoolStats {
  uint64_t allocs = 0;
  uint64_t clones = 0;
  uint64_t frees = 0;           // SkBuff structs returned
  uint64_t consumed = 0;        // ended in Consume
  uint64_t dropped = 0;         // ended in Drop
  uint64_t unaccounted = 0;     // ended by a destroyed SkbPtr: a bug
  uint64_t alloc_failures = 0;  // size beyond the largest class
};

// The skb allocator of one event loop: SkBuff structs and data blocks in
// size classes from slab caches, so steady state never mallocs.
class SkbPool {
 public:
  // Largest packet buffer: a 64 KiB GSO super-frame plus headroom.
  static constexpr size_t kMaxBuffer = 65536 + 512;
  SkbPool();
  SkbPool(const SkbPool&) = delete;
  SkbPool& operator=(const SkbPool&) = delete;
  ~SkbPool();

  // A packet with room for `size` bytes (headroom included: Reserve it).
  // Returns an empty SkbPtr if size > kMaxBuffer. The smallest class (256
  // bytes) serves only `header_only` requests: packets whose payload is a
  // fragment, so that it never changes what ordinary packets cost.
  SkbPtr Alloc(size_t size, bool header_only = false);
  // A new SkBuff sharing `skb`'s data (Linux skb_clone).
  SkbPtr Clone(const SkBuff& skb);
  // Frees, counting the packet as delivered / dropped. Protocol code calls
  // NetCore::Consume/Drop, which land here.
  void FreeConsumed(SkbPtr skb);
  void FreeDropped(SkbPtr skb);

  const SkbPoolStats& stats() const { return stats_; }
  uint64_t in_use() const { return stats_.allocs + stats_.clones - stats_.frees; }
  const SlabCache& skb_cache() const { return skb_cache_; }
  const SlabCache& data_cache(int i) const { return *data_caches_[i]; }
  static constexpr int kClasses = 4;
  static constexpr size_t kHeaderClassSize = 256;  // class 0: header-only packets

 private:
  friend class SkbPtr;
  friend class SkBuff;
  void Free(SkBuff* skb);
  // Drops one reference to a data block, freeing it with the last.
  void PutBlock(SkbShared* shared);
  // 256: header-only packets (TCP segments whose payload is a fragment).
  static constexpr size_t kClassSize[kClasses] = {256, 2048, 16384, kMaxBuffer};

  SlabCache skb_cache_;
  SlabCache* data_caches_[kClasses];
  SkbPoolStats stats_;
};

}  // namespace usnet
