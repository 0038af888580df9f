// The Internet checksum (RFC 1071), Linux-style: csum_partial accumulates a
// 32-bit one's-complement sum over native-order 16-bit words; CsumFold folds
// and complements it into the 16-bit value to store as-is (memcpy, no byte
// swap) in the header. Verifying a received header: fold the sum over the
// whole header, checksum field included: 0 means valid.
//
//   uint32_t s = CsumPartial(hdr, 20, 0);
//   uint16_t c = CsumFold(s);          // store with memcpy
//   uint32_t p = PseudoHeaderSum(src, dst, kProtoUdp, udp_len);
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "net/core/addr.h"

namespace usnet {

uint32_t CsumPartial(const std::byte* data, size_t len, uint32_t sum);

inline uint16_t CsumFold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// One's-complement addition of two partial sums.
inline uint32_t CsumAdd(uint32_t a, uint32_t b) {
  uint32_t r = a + b;
  return r + (r < a);
}

// A partial sum over a block that starts at an odd offset within the data
// being checksummed must be byte-rotated before it is added (Linux
// csum_block_add).
inline uint32_t CsumBlockAdd(uint32_t sum, uint32_t block, size_t offset) {
  if (offset & 1) block = (block << 8) | (block >> 24);
  return CsumAdd(sum, block);
}

// The IPv4 pseudo-header (src, dst, zero, protocol, length) as a partial sum.
uint32_t PseudoHeaderSum(Ipv4Addr src, Ipv4Addr dst, uint8_t protocol, uint16_t length);

namespace internal {
// Every CsumPartial implementation this CPU can run (scalar always; AVX2,
// AVX-512 when present), so tests can check each against a reference: the
// dispatcher only ever exercises the fastest.
struct CsumImpl {
  const char* name;
  uint32_t (*fn)(const std::byte* data, size_t len, uint32_t sum);
};
std::vector<CsumImpl> CsumImplementations();
}  // namespace internal

// Reads/writes a 16-bit checksum field exactly as stored (native order).
inline uint16_t LoadCsum(const std::byte* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline void StoreCsum(std::byte* p, uint16_t v) { std::memcpy(p, &v, 2); }

}  // namespace usnet
