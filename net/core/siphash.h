// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
// 2012): a keyed 64-bit hash that an attacker who does not know the
// 128-bit key cannot predict or steer. The stack uses it where Linux does
// (lib/siphash.c): initial sequence numbers, timestamp offsets and
// ephemeral ports (net/ipv4/secure_seq.h) and SYN cookies
// (net/ipv4/syncookies.h).
//
// Besides the byte-string form there are Linux's fixed-width helpers
// (siphash_1u32 ... siphash_4u32, siphash_1u64, siphash_2u64). They hash
// the same bytes the byte-string form would see for the words stored
// little-endian one after the other, so SipHash3u32(a, b, c, k) equals
// SipHash() of the 12 bytes LE32(a) LE32(b) LE32(c), which is what Linux
// computes on every architecture.
//
//   SipHashKey key = SipHashKey::Random(rng);        // once, at boot
//   uint64_t h = SipHash3u32(saddr, daddr, ports, key);
//   uint64_t g = SipHash(std::as_bytes(std::span(buf)), key);
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>

namespace usnet {

// The 128-bit key as Linux siphash_key_t holds it: two 64-bit halves, k0
// and k1 of the paper. A key given as 16 bytes (the paper's test vectors,
// key = 00 01 .. 0f) is read little-endian: k0 from bytes 0..7.
struct SipHashKey {
  uint64_t key[2] = {0, 0};

  static SipHashKey FromBytes(std::span<const std::byte, 16> bytes);
  // Linux fills its keys with get_random_bytes once (net_get_random_once);
  // the host draws them from its seeded generator, so runs repeat.
  static SipHashKey Random(std::mt19937_64& rng);

  friend bool operator==(const SipHashKey&, const SipHashKey&) = default;
};

// SipHash-2-4 of an arbitrary byte string (Linux siphash()).
uint64_t SipHash(std::span<const std::byte> data, const SipHashKey& key);

// Fixed-width forms (Linux siphash_1u64 ...): word i is hashed as the
// little-endian bytes at offset 8*i (u64) or 4*i (u32) of the message.
uint64_t SipHash1u64(uint64_t a, const SipHashKey& key);
uint64_t SipHash2u64(uint64_t a, uint64_t b, const SipHashKey& key);
uint64_t SipHash1u32(uint32_t a, const SipHashKey& key);
uint64_t SipHash3u32(uint32_t a, uint32_t b, uint32_t c, const SipHashKey& key);

// Linux defines these two inline on top of the u64 forms: two u32 words
// make one 64-bit word with the first in the low half.
inline uint64_t SipHash2u32(uint32_t a, uint32_t b, const SipHashKey& key) {
  return SipHash1u64(uint64_t{b} << 32 | a, key);
}
inline uint64_t SipHash4u32(uint32_t a, uint32_t b, uint32_t c, uint32_t d, const SipHashKey& key) {
  return SipHash2u64(uint64_t{b} << 32 | a, uint64_t{d} << 32 | c, key);
}

}  // namespace usnet
