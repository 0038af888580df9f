// The copy ledger: every payload memcpy in the stack goes through
// CopyLedger::Copy, which records bytes and calls per site. Linux's bar is
// one CPU copy per payload byte on TX (user -> skb) and one on RX
// (skb -> user); the ledger makes any extra copy visible and testable.
//
//   ledger.Copy(CopySite::kUserToSkb, skb_data, user_buf, n);
//   ledger.bytes(CopySite::kUserToSkb);
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace usnet {

#define USNET_COPY_SITES(X)                                                      \
  X(device_rx, kDeviceRx)       /* device buffer -> skb (TAP kernel copy: device) */ \
  X(device_tx, kDeviceTx)       /* skb -> device buffer */                        \
  X(user_to_skb, kUserToSkb)    /* send/write: user buffer -> skb */              \
  X(skb_to_user, kSkbToUser)    /* recv/read: skb -> user buffer */               \
  X(linearize, kLinearize)      /* gathering a non-linear packet */               \
  X(fragment, kFragment)        /* IPv4 fragmentation on transmit */              \
  X(reassemble, kReassemble)    /* IPv4 reassembly into one buffer */             \
  X(retransmit, kRetransmit)    /* retransmission that could not clone */        \
  X(ipc, kIpc)                  /* shim <-> daemon shared memory */               \
  X(icmp, kIcmp)                /* ICMP echo reply / error quoting */             \
  X(fault, kFault)              /* FaultInjector copy-on-corrupt (not the stack) */

enum class CopySite : uint8_t {
#define USNET_COPY_ENUM(name, e) e,
  USNET_COPY_SITES(USNET_COPY_ENUM)
#undef USNET_COPY_ENUM
  kCount
};

inline constexpr std::string_view kCopySiteNames[] = {
#define USNET_COPY_NAME(name, e) #name,
    USNET_COPY_SITES(USNET_COPY_NAME)
#undef USNET_COPY_NAME
};

class CopyLedger {
 public:
  static constexpr size_t kSites = static_cast<size_t>(CopySite::kCount);

  void Copy(CopySite site, void* dst, const void* src, size_t n) {
    if (n == 0) return;  // memcpy with a null pointer is undefined even for 0 bytes
    std::memcpy(dst, src, n);
    Record(site, n);
  }
  // For copies done by something else (the kernel filling a TAP buffer).
  void Record(CopySite site, size_t n) {
    bytes_[static_cast<size_t>(site)] += n;
    calls_[static_cast<size_t>(site)] += 1;
  }
  uint64_t bytes(CopySite s) const { return bytes_[static_cast<size_t>(s)]; }
  uint64_t calls(CopySite s) const { return calls_[static_cast<size_t>(s)]; }
  uint64_t total_bytes() const {
    uint64_t t = 0;
    for (uint64_t b : bytes_) t += b;
    return t;
  }
  const std::array<uint64_t, kSites>& all_bytes() const { return bytes_; }
  const std::array<uint64_t, kSites>& all_calls() const { return calls_; }
  void Reset() {
    bytes_.fill(0);
    calls_.fill(0);
  }

 private:
  std::array<uint64_t, kSites> bytes_{};
  std::array<uint64_t, kSites> calls_{};
};

}  // namespace usnet
