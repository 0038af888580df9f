#include "net/core/siphash.h"

#include <bit>
#include <cstring>

namespace usnet {

// The algorithm, as the paper (section 2) specifies it:
//   initialization: v0..v3 = k0, k1, k0, k1 xored with the ASCII of
//     "somepseudorandomlygeneratedbytes";
//   compression: the message, padded with zeros to 8 bytes short of a
//     multiple of 8 and then one byte of (length mod 256), is cut into
//     little-endian 64-bit words m; each is absorbed as v3 ^= m, c = 2
//     SipRounds, v0 ^= m;
//   finalization: v2 ^= 0xff, d = 4 SipRounds, output v0 ^ v1 ^ v2 ^ v3.
// The last word (the tail bytes plus the length byte) is built directly in
// `b`, as Linux's PREAMBLE/POSTAMBLE do, rather than by padding a copy.
namespace {

class SipState {
 public:
  explicit SipState(const SipHashKey& k)
      : v0_(k.key[0] ^ 0x736f6d6570736575),   // "somepseu"
        v1_(k.key[1] ^ 0x646f72616e646f6d),   // "dorandom"
        v2_(k.key[0] ^ 0x6c7967656e657261),   // "lygenera"
        v3_(k.key[1] ^ 0x7465646279746573) {  // "tedbytes"
  }

  // One message word, c = 2 rounds.
  void Compress(uint64_t m) {
    v3_ ^= m;
    Round();
    Round();
    v0_ ^= m;
  }

  // The final word (tail bytes | length << 56), then d = 4 rounds.
  uint64_t Finalize(uint64_t b) {
    Compress(b);
    v2_ ^= 0xff;
    Round();
    Round();
    Round();
    Round();
    return v0_ ^ v1_ ^ v2_ ^ v3_;
  }

 private:
  // SipRound (paper section 2): add-rotate-xor on the four lanes.
  void Round() {
    v0_ += v1_;
    v1_ = std::rotl(v1_, 13);
    v1_ ^= v0_;
    v0_ = std::rotl(v0_, 32);
    v2_ += v3_;
    v3_ = std::rotl(v3_, 16);
    v3_ ^= v2_;
    v0_ += v3_;
    v3_ = std::rotl(v3_, 21);
    v3_ ^= v0_;
    v2_ += v1_;
    v1_ = std::rotl(v1_, 17);
    v1_ ^= v2_;
    v2_ = std::rotl(v2_, 32);
  }

  uint64_t v0_, v1_, v2_, v3_;
};

// The message length's low byte goes in the top byte of the final word.
constexpr uint64_t LengthByte(size_t len) { return static_cast<uint64_t>(len) << 56; }

uint64_t LoadLe64(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

}  // namespace

SipHashKey SipHashKey::FromBytes(std::span<const std::byte, 16> bytes) {
  SipHashKey k;
  k.key[0] = LoadLe64(bytes.data());
  k.key[1] = LoadLe64(bytes.data() + 8);
  return k;
}

SipHashKey SipHashKey::Random(std::mt19937_64& rng) {
  SipHashKey k;
  k.key[0] = rng();
  k.key[1] = rng();
  return k;
}

// Linux __siphash_aligned / __siphash_unaligned.
uint64_t SipHash(std::span<const std::byte> data, const SipHashKey& key) {
  SipState s(key);
  const std::byte* p = data.data();
  size_t left = data.size();
  for (; left >= 8; p += 8, left -= 8) s.Compress(LoadLe64(p));
  uint64_t b = LengthByte(data.size());
  for (size_t i = 0; i < left; ++i) b |= static_cast<uint64_t>(p[i]) << (8 * i);
  return s.Finalize(b);
}

uint64_t SipHash1u64(uint64_t a, const SipHashKey& key) {
  SipState s(key);
  s.Compress(a);
  return s.Finalize(LengthByte(8));
}

uint64_t SipHash2u64(uint64_t a, uint64_t b, const SipHashKey& key) {
  SipState s(key);
  s.Compress(a);
  s.Compress(b);
  return s.Finalize(LengthByte(16));
}

// 4 bytes: nothing to compress, the word rides in the final block.
uint64_t SipHash1u32(uint32_t a, const SipHashKey& key) {
  SipState s(key);
  return s.Finalize(LengthByte(4) | a);
}

// 12 bytes: one full word (a low, b high) and a 4-byte tail.
uint64_t SipHash3u32(uint32_t a, uint32_t b, uint32_t c, const SipHashKey& key) {
  SipState s(key);
  s.Compress(uint64_t{b} << 32 | a);
  return s.Finalize(LengthByte(12) | c);
}

}  // namespace usnet
