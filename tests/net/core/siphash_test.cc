#include "net/core/siphash.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace usnet {
namespace {

// The expected values come from an independent Python implementation of the
// paper's algorithm (below), not from our C++: the official SipHash-2-4
// vectors (key 00 01 .. 0f; message i = the i bytes 00 01 .. i-1), printed
// as the little-endian 64-bit value of the 8 output bytes.
//
//   M = (1 << 64) - 1
//   def rotl(x, b): return ((x << b) | (x >> (64 - b))) & M
//   def rnd(v0, v1, v2, v3):
//       v0 = (v0 + v1) & M; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
//       v2 = (v2 + v3) & M; v3 = rotl(v3, 16) ^ v2
//       v0 = (v0 + v3) & M; v3 = rotl(v3, 21) ^ v0
//       v2 = (v2 + v1) & M; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
//       return v0, v1, v2, v3
//   def siphash(k0, k1, msg):
//       v = (k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d,
//            k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573)
//       msg = msg + b'\0' * (7 - len(msg) % 8) + bytes([len(msg) & 0xff])
//       for i in range(0, len(msg), 8):
//           m = int.from_bytes(msg[i:i + 8], 'little')
//           v = rnd(*rnd(v[0], v[1], v[2], v[3] ^ m)); v = (v[0] ^ m,) + v[1:]
//       v = (v[0], v[1], v[2] ^ 0xff, v[3])
//       for _ in range(4): v = rnd(*v)
//       return v[0] ^ v[1] ^ v[2] ^ v[3]
//
// Cross-checks against published values: vector 0 is 31 0e 0e dd 47 db 6f 72
// and vector 63 is 72 45 06 eb 4c 32 8a 95 in the reference implementation's
// vectors.h, and vector 15 is the paper's appendix A example
// (a129ca6149be45e5).
constexpr std::array<uint64_t, 64> kVectors = {
    0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d,
    0xcf2794e0277187b7, 0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137,
    0x93f5f5799a932462, 0x9e0082df0ba9e4b0, 0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7,
    0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee, 0xa129ca6149be45e5,
    0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794, 0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd,
    0xbed65cf21aa2ee98, 0xd0f2cbb02e3b67c7, 0x93536795e3a33e88, 0xa80c038ccd5ccec8,
    0xb8ad50c6f649af94, 0xbce192de8a85b8ea, 0x17d835b85bbb15f3, 0x2f2e6163076bcfad,
    0xde4daaaca71dc9a5, 0xa6a2506687956571, 0xad87a3535c49ef28, 0x32d892fad841c342,
    0x7127512f72f27cce, 0xa7f32346f95978e3, 0x12e0b01abb051238, 0x15e034d40fa197ae,
    0x314dffbe0815a3b4, 0x027990f029623981, 0xcadcd4e59ef40c4d, 0x9abfd8766a33735c,
    0x0e3ea96b5304a7d0, 0xad0c42d6fc585992, 0x187306c89bc215a9, 0xd4a60abcf3792b95,
    0xf935451de4f21df2, 0xa9538f0419755787, 0xdb9acddff56ca510, 0xd06c98cd5c0975eb,
    0xe612a3cb9ecba951, 0xc766e62cfcadaf96, 0xee64435a9752fe72, 0xa192d576b245165a,
    0x0a8787bf8ecb74b2, 0x81b3e73d20b49b6f, 0x7fa8220ba3b2ecea, 0x245731c13ca42499,
    0xb78dbfaf3a8d83bd, 0xea1ad565322a1a0b, 0x60e61c23a3795013, 0x6606d7e446282b93,
    0x6ca4ecb15c5f91e1, 0x9f626da15c9625f3, 0xe51b38608ef25f57, 0x958a324ceb064572,
};

std::array<std::byte, 64> CountingBytes() {
  std::array<std::byte, 64> b;
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::byte>(i);
  return b;
}

SipHashKey VectorKey() {
  const std::array<std::byte, 64> b = CountingBytes();
  return SipHashKey::FromBytes(std::span<const std::byte, 16>(b.data(), 16));
}

TEST(SipHash, KeyFromBytesIsLittleEndian) {
  // Linux's test_siphash.c spells the same key as these two words.
  const SipHashKey k = VectorKey();
  EXPECT_EQ(k.key[0], 0x0706050403020100u);
  EXPECT_EQ(k.key[1], 0x0f0e0d0c0b0a0908u);
}

TEST(SipHash, OfficialVectors) {
  const std::array<std::byte, 64> msg = CountingBytes();
  const SipHashKey k = VectorKey();
  for (size_t len = 0; len < kVectors.size(); ++len) {
    EXPECT_EQ(SipHash(std::span(msg.data(), len), k), kVectors[len]) << "length " << len;
  }
}

TEST(SipHash, PublishedValues) {
  const std::array<std::byte, 64> msg = CountingBytes();
  const SipHashKey k = VectorKey();
  EXPECT_EQ(SipHash({}, k), 0x726fdb47dd0e0e31u);                         // vectors.h, first
  EXPECT_EQ(SipHash(std::span(msg.data(), 15), k), 0xa129ca6149be45e5u);  // paper, appendix A
  EXPECT_EQ(SipHash(std::span(msg.data(), 63), k), 0x958a324ceb064572u);  // vectors.h, last
}

TEST(SipHash, DoesNotDependOnAlignment) {
  std::mt19937_64 rng(7);
  const SipHashKey k = SipHashKey::Random(rng);
  std::vector<std::byte> buf(200);
  for (std::byte& b : buf) b = static_cast<std::byte>(rng());
  for (size_t len : {0u, 1u, 7u, 8u, 9u, 31u, 100u}) {
    const std::vector<std::byte> aligned(buf.begin() + 8, buf.begin() + 8 + len);
    const uint64_t want = SipHash(aligned, k);
    for (size_t off = 0; off < 8; ++off) {
      std::vector<std::byte> shifted(off + len);
      std::copy(aligned.begin(), aligned.end(), shifted.begin() + off);
      EXPECT_EQ(SipHash(std::span(shifted).subspan(off), k), want) << len << " at " << off;
    }
  }
}

// With the vector key, the word forms hash the counting bytes too: word i
// of Linux's helpers is the little-endian bytes of the message at 4i / 8i.
TEST(SipHash, WordFormsEqualTheVectors) {
  const SipHashKey k = VectorKey();
  EXPECT_EQ(SipHash1u32(0x03020100, k), kVectors[4]);
  EXPECT_EQ(SipHash2u32(0x03020100, 0x07060504, k), kVectors[8]);
  EXPECT_EQ(SipHash3u32(0x03020100, 0x07060504, 0x0b0a0908, k), kVectors[12]);
  EXPECT_EQ(SipHash4u32(0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c, k), kVectors[16]);
  EXPECT_EQ(SipHash1u64(0x0706050403020100, k), kVectors[8]);
  EXPECT_EQ(SipHash2u64(0x0706050403020100, 0x0f0e0d0c0b0a0908, k), kVectors[16]);
}

// The same words under another key, against the Python reference above
// applied to the words packed little-endian (struct.pack('<I', ...)):
//   key = (0x0123456789abcdef, 0xfedcba9876543210)
TEST(SipHash, WordFormsMatchPythonReference) {
  const SipHashKey k{{0x0123456789abcdef, 0xfedcba9876543210}};
  EXPECT_EQ(SipHash1u32(0xdeadbeef, k), 0x67a989cfec2ced76u);
  EXPECT_EQ(SipHash2u32(0xdeadbeef, 0x01234567, k), 0x12418183c8369e42u);
  EXPECT_EQ(SipHash3u32(0xdeadbeef, 0x01234567, 0x89abcdef, k), 0xccddadb0c69e2466u);
  EXPECT_EQ(SipHash4u32(0xdeadbeef, 0x01234567, 0x89abcdef, 0xfeedface, k), 0xae663c71a0c4ec38u);
  EXPECT_EQ(SipHash1u64(0x0123456789abcdef, k), 0x6ef67735d0fa7444u);
  EXPECT_EQ(SipHash2u64(0x0123456789abcdef, 0xfedcba9876543210, k), 0xc03136434e37f200u);
}

void PutLe32(std::vector<std::byte>& out, uint32_t w) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>(w >> (8 * i)));
}

TEST(SipHash, WordFormsEqualByteStringOfLittleEndianWords) {
  std::mt19937_64 rng(6528);
  for (int i = 0; i < 1000; ++i) {
    const SipHashKey k = SipHashKey::Random(rng);
    const uint32_t a = static_cast<uint32_t>(rng()), b = static_cast<uint32_t>(rng()),
                   c = static_cast<uint32_t>(rng()), d = static_cast<uint32_t>(rng());
    std::vector<std::byte> m;
    PutLe32(m, a);
    EXPECT_EQ(SipHash1u32(a, k), SipHash(m, k));
    PutLe32(m, b);
    EXPECT_EQ(SipHash2u32(a, b, k), SipHash(m, k));
    EXPECT_EQ(SipHash1u64(uint64_t{b} << 32 | a, k), SipHash(m, k));
    PutLe32(m, c);
    EXPECT_EQ(SipHash3u32(a, b, c, k), SipHash(m, k));
    PutLe32(m, d);
    EXPECT_EQ(SipHash4u32(a, b, c, d, k), SipHash(m, k));
    EXPECT_EQ(SipHash2u64(uint64_t{b} << 32 | a, uint64_t{d} << 32 | c, k), SipHash(m, k));
  }
}

TEST(SipHash, KeyMatters) {
  std::mt19937_64 rng(1);
  const SipHashKey k1 = SipHashKey::Random(rng), k2 = SipHashKey::Random(rng);
  EXPECT_NE(k1, k2);
  EXPECT_NE(SipHash3u32(1, 2, 3, k1), SipHash3u32(1, 2, 3, k2));
  // Flipping any single key bit changes the output.
  for (int bit = 0; bit < 128; ++bit) {
    SipHashKey k = k1;
    k.key[bit / 64] ^= uint64_t{1} << (bit % 64);
    EXPECT_NE(SipHash3u32(1, 2, 3, k), SipHash3u32(1, 2, 3, k1)) << "bit " << bit;
  }
}

TEST(SipHash, RandomKeysRepeatWithTheSeed) {
  std::mt19937_64 a(99), b(99);
  EXPECT_EQ(SipHashKey::Random(a), SipHashKey::Random(b));
}

}  // namespace
}  // namespace usnet
