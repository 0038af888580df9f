#include "net/core/checksum.h"

#include "net/core/byteorder.h"

namespace usnet {

// Sums 64-bit words with end-around carry in a 64-bit accumulator, four
// words per iteration, then folds to 32 bits. Native order throughout; the
// one's-complement sum is byte-order independent (RFC 1071 section 2(B)).
uint32_t CsumPartial(const std::byte* p, size_t len, uint32_t sum) {
  uint64_t acc = sum;
  auto add64 = [&acc](uint64_t v) {
    acc += v;
    acc += (acc < v);  // end-around carry
  };
  while (len >= 32) {
    uint64_t w[4];
    std::memcpy(w, p, 32);
    // Two independent chains keep the adder busy.
    unsigned __int128 s = static_cast<unsigned __int128>(w[0]) + w[1] + w[2] + w[3];
    add64(static_cast<uint64_t>(s));
    add64(static_cast<uint64_t>(s >> 64));
    p += 32;
    len -= 32;
  }
  while (len >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    add64(w);
    p += 8;
    len -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, len);  // little or big endian: bytes keep their positions
  add64(tail);
  // Fold 64 -> 32 with carries.
  uint32_t lo = static_cast<uint32_t>(acc), hi = static_cast<uint32_t>(acc >> 32);
  uint32_t r = lo + hi;
  r += (r < lo);
  return r;
}

uint32_t PseudoHeaderSum(Ipv4Addr src, Ipv4Addr dst, uint8_t protocol, uint16_t length) {
  std::byte ph[12];
  StoreBe32(ph, src.value());
  StoreBe32(ph + 4, dst.value());
  ph[8] = std::byte{0};
  ph[9] = static_cast<std::byte>(protocol);
  StoreBe16(ph + 10, length);
  return CsumPartial(ph, sizeof(ph), 0);
}

}  // namespace usnet
