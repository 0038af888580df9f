#include "net/core/checksum.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "net/core/byteorder.h"

namespace usnet {
namespace {

// RFC 1071 section 4.1, literally: big-endian 16-bit words, an odd last
// byte padded with zero, carries folded back. Returns the checksum as a
// big-endian value (what a packet dump shows).
uint16_t Rfc1071(const uint8_t* p, size_t len, uint32_t initial_be = 0) {
  uint64_t sum = initial_be;
  while (len > 1) {
    sum += (uint32_t{p[0]} << 8) | p[1];
    p += 2;
    len -= 2;
  }
  if (len > 0) sum += uint32_t{p[0]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// CsumFold's result is stored as-is (native order); read it the way a
// packet dump shows it.
uint16_t AsBigEndian(uint16_t folded) {
  std::byte b[2];
  StoreCsum(b, folded);
  return LoadBe16(b);
}

std::vector<uint8_t> RandomBytes(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (uint8_t& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

const std::byte* B(const uint8_t* p) { return reinterpret_cast<const std::byte*>(p); }

TEST(Checksum, MatchesRfc1071OnEveryLengthAndAlignment) {
  std::mt19937 rng(1071);
  for (size_t len = 0; len <= 300; ++len) {
    for (size_t align = 0; align < 8; ++align) {
      std::vector<uint8_t> buf = RandomBytes(rng, len + 8);
      const uint8_t* p = buf.data() + align;
      EXPECT_EQ(AsBigEndian(CsumFold(CsumPartial(B(p), len, 0))), Rfc1071(p, len))
          << "len " << len << " align " << align;
    }
  }
}

TEST(Checksum, MatchesRfc1071OnLargeBuffers) {
  std::mt19937 rng(42);
  for (size_t len : {1499u, 1500u, 9000u, 65535u, 65536u + 7, 1u << 20}) {
    for (size_t align : {0u, 1u, 3u, 4u}) {
      std::vector<uint8_t> buf = RandomBytes(rng, len + align);
      const uint8_t* p = buf.data() + align;
      EXPECT_EQ(AsBigEndian(CsumFold(CsumPartial(B(p), len, 0))), Rfc1071(p, len))
          << "len " << len << " align " << align;
    }
  }
}

TEST(Checksum, CarryHeavyBuffers) {
  // All-ones data makes every add carry: the 64-bit and 128-bit paths must
  // wrap the carries around, not lose them.
  for (size_t len : {1u, 2u, 31u, 32u, 33u, 64u, 4096u, 65535u, 1u << 20}) {
    std::vector<uint8_t> ones(len, 0xff);
    EXPECT_EQ(AsBigEndian(CsumFold(CsumPartial(B(ones.data()), len, 0))), Rfc1071(ones.data(), len))
        << "len " << len;
    std::vector<uint8_t> alt(len);
    for (size_t i = 0; i < len; ++i) alt[i] = (i % 2) ? 0x01 : 0xff;
    EXPECT_EQ(AsBigEndian(CsumFold(CsumPartial(B(alt.data()), len, 0))), Rfc1071(alt.data(), len))
        << "len " << len;
  }
}

TEST(Checksum, InitialSumIsAdded) {
  std::mt19937 rng(7);
  for (uint32_t init : {0u, 1u, 0xffffu, 0x10000u, 0x12345678u, 0xfffffffeu, 0xffffffffu}) {
    for (size_t len : {0u, 1u, 2u, 7u, 33u, 100u}) {
      std::vector<uint8_t> buf = RandomBytes(rng, len);
      const uint32_t with = CsumPartial(B(buf.data()), len, init);
      const uint32_t without = CsumPartial(B(buf.data()), len, 0);
      EXPECT_EQ(CsumFold(with), CsumFold(CsumAdd(without, init))) << init << " " << len;
    }
  }
}

TEST(Checksum, EmptyBufferReturnsTheInitialSumFolded) {
  EXPECT_EQ(CsumFold(CsumPartial(nullptr, 0, 0)), 0xffff);
  EXPECT_EQ(CsumFold(CsumPartial(nullptr, 0, 0x1234)), CsumFold(0x1234));
}

TEST(Checksum, FoldFoldsTwiceAndComplements) {
  EXPECT_EQ(CsumFold(0), 0xffff);
  EXPECT_EQ(CsumFold(0xffff), 0x0000);
  EXPECT_EQ(CsumFold(0x1234), 0xedcb);
  EXPECT_EQ(CsumFold(0x10000), 0xfffe);        // 0x0000 + 0x0001
  EXPECT_EQ(CsumFold(0x0001ffff), 0xfffe);     // 0xffff + 1 = 0x10000 -> 0x0001
  EXPECT_EQ(CsumFold(0xffffffff), 0x0000);     // 0xffff + 0xffff = 0x1fffe -> 0xffff
  EXPECT_EQ(CsumFold(0xfffe0001), 0x0000);     // 0xfffe + 0x0001
  EXPECT_EQ(CsumFold(0x12345678), static_cast<uint16_t>(~(0x1234 + 0x5678)));
}

TEST(Checksum, AddWrapsTheCarryAround) {
  EXPECT_EQ(CsumAdd(0, 0), 0u);
  EXPECT_EQ(CsumAdd(1, 2), 3u);
  EXPECT_EQ(CsumAdd(0xffffffff, 1), 1u);
  EXPECT_EQ(CsumAdd(0x80000000, 0x80000000), 1u);
  EXPECT_EQ(CsumAdd(0xffffffff, 0xffffffff), 0xffffffffu);
  std::mt19937 rng(3);
  for (int i = 0; i < 10000; ++i) {
    const uint32_t a = rng(), b = rng();
    const uint64_t wide = uint64_t{a} + b;
    EXPECT_EQ(CsumAdd(a, b), static_cast<uint32_t>((wide & 0xffffffff) + (wide >> 32)));
    EXPECT_EQ(CsumAdd(a, b), CsumAdd(b, a));
  }
}

TEST(Checksum, BlockAddCombinesASplitAtEveryPoint) {
  std::mt19937 rng(1);
  for (size_t len : {0u, 1u, 2u, 3u, 17u, 64u, 65u, 301u}) {
    for (size_t align = 0; align < 2; ++align) {
      std::vector<uint8_t> buf = RandomBytes(rng, len + align);
      const std::byte* p = B(buf.data() + align);
      const uint16_t whole = CsumFold(CsumPartial(p, len, 0));
      for (size_t k = 0; k <= len; ++k) {
        const uint32_t head = CsumPartial(p, k, 0);
        const uint32_t tail = CsumPartial(p + k, len - k, 0);
        EXPECT_EQ(CsumFold(CsumBlockAdd(head, tail, k)), whole) << "len " << len << " split " << k;
      }
    }
  }
}

TEST(Checksum, BlockAddOfThreePiecesAtOddOffsets) {
  std::mt19937 rng(11);
  std::vector<uint8_t> buf = RandomBytes(rng, 97);
  const std::byte* p = B(buf.data());
  const uint16_t whole = CsumFold(CsumPartial(p, 97, 0));
  for (size_t a = 0; a <= 97; ++a) {
    for (size_t b = a; b <= 97; b += 7) {
      uint32_t s = CsumPartial(p, a, 0);
      s = CsumBlockAdd(s, CsumPartial(p + a, b - a, 0), a);
      s = CsumBlockAdd(s, CsumPartial(p + b, 97 - b, 0), b);
      EXPECT_EQ(CsumFold(s), whole) << a << " " << b;
    }
  }
}

TEST(Checksum, BlockAddAtEvenOffsetIsPlainAdd) {
  EXPECT_EQ(CsumBlockAdd(0x1234, 0xabcd0001, 0), CsumAdd(0x1234, 0xabcd0001));
  EXPECT_EQ(CsumBlockAdd(0x1234, 0xabcd0001, 2), CsumAdd(0x1234, 0xabcd0001));
  EXPECT_EQ(CsumBlockAdd(0x1234, 0xffffffff, 100), CsumAdd(0x1234, 0xffffffff));
}

// The UDP datagram 10.0.0.1:12345 -> 10.0.0.2:53 "hello" (checksum 0x7791,
// computed with python3).
const uint8_t kUdp[] = {0x30, 0x39, 0x00, 0x35, 0x00, 0x0d, 0x77, 0x91,
                        0x68, 0x65, 0x6c, 0x6c, 0x6f};

TEST(Checksum, PseudoHeaderSumOfKnownUdpPacket) {
  const Ipv4Addr src = Ipv4Addr::FromOctets(10, 0, 0, 1), dst = Ipv4Addr::FromOctets(10, 0, 0, 2);
  const uint32_t ph = PseudoHeaderSum(src, dst, 17, sizeof(kUdp));
  // 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0011 + 0x000d = 0x1421.
  EXPECT_EQ(AsBigEndian(static_cast<uint16_t>(~CsumFold(ph))), 0x1421);
  // Verifying: the sum over pseudo-header and datagram folds to zero.
  EXPECT_EQ(CsumFold(CsumPartial(B(kUdp), sizeof(kUdp), ph)), 0);
  // Computing: with the field zeroed, the fold is the stored checksum.
  uint8_t copy[sizeof(kUdp)];
  std::memcpy(copy, kUdp, sizeof(kUdp));
  copy[6] = copy[7] = 0;
  EXPECT_EQ(AsBigEndian(CsumFold(CsumPartial(B(copy), sizeof(copy), ph))), 0x7791);
  // Agrees with RFC 1071 over an explicit pseudo-header.
  const uint8_t explicit_ph[12] = {10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 13};
  uint8_t all[12 + sizeof(kUdp)];
  std::memcpy(all, explicit_ph, 12);
  std::memcpy(all + 12, copy, sizeof(copy));
  EXPECT_EQ(Rfc1071(all, sizeof(all)), 0x7791);
}

TEST(Checksum, PseudoHeaderSumCoversEveryField) {
  const Ipv4Addr a = Ipv4Addr::FromOctets(192, 0, 2, 1), b = Ipv4Addr::FromOctets(198, 51, 100, 7);
  const uint16_t base = CsumFold(PseudoHeaderSum(a, b, 6, 1000));
  EXPECT_NE(CsumFold(PseudoHeaderSum(Ipv4Addr(a.value() + 1), b, 6, 1000)), base);
  EXPECT_NE(CsumFold(PseudoHeaderSum(a, Ipv4Addr(b.value() + 1), 6, 1000)), base);
  EXPECT_NE(CsumFold(PseudoHeaderSum(a, b, 17, 1000)), base);
  EXPECT_NE(CsumFold(PseudoHeaderSum(a, b, 6, 1001)), base);
  EXPECT_EQ(CsumFold(PseudoHeaderSum(b, a, 6, 1000)), base);  // addition commutes
  const uint8_t explicit_ph[12] = {192, 0, 2, 1, 198, 51, 100, 7, 0, 6, 0x03, 0xe8};
  EXPECT_EQ(AsBigEndian(base), Rfc1071(explicit_ph, 12));
}

TEST(Checksum, LoadStoreCsumKeepBytesAsStored) {
  std::byte b[2] = {std::byte{0x12}, std::byte{0x34}};
  const uint16_t v = LoadCsum(b);
  std::byte c[2];
  StoreCsum(c, v);
  EXPECT_EQ(c[0], std::byte{0x12});
  EXPECT_EQ(c[1], std::byte{0x34});
}

}  // namespace
}  // namespace usnet

namespace usnet {
namespace {

// RFC 1071 reference: 16-bit big-endian words, end-around carry, then the
// result expressed like CsumFold's (native order, complemented).
uint16_t ReferenceFolded(const std::vector<std::byte>& b, uint32_t init_native) {
  uint64_t s = 0;
  for (size_t i = 0; i + 1 < b.size(); i += 2) s += (uint32_t{static_cast<uint8_t>(b[i])} << 8) | static_cast<uint8_t>(b[i + 1]);
  if (b.size() & 1) s += uint32_t{static_cast<uint8_t>(b.back())} << 8;
  // Add the initial sum (given in native order) as big-endian words.
  uint32_t init_be = __builtin_bswap32(init_native);
  s += (init_be >> 16) + (init_be & 0xffff);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  uint16_t be = static_cast<uint16_t>(~s);
  return __builtin_bswap16(be);
}

TEST(ChecksumImplementations, EveryPathTheCpuHasMatchesTheReference) {
  std::mt19937_64 rng(5);
  const auto impls = internal::CsumImplementations();
  ASSERT_GE(impls.size(), 1u);
  for (const auto& impl : impls) {
    for (size_t len : {0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 1500, 9001, 65536}) {
      for (size_t align = 0; align < 4; ++align) {
        std::vector<std::byte> buf(len + align);
        for (auto& x : buf) x = std::byte(static_cast<uint8_t>(rng()));
        std::vector<std::byte> data(buf.begin() + static_cast<long>(align), buf.end());
        const uint32_t init = static_cast<uint32_t>(rng());
        EXPECT_EQ(CsumFold(impl.fn(buf.data() + align, len, init)), ReferenceFolded(data, init))
            << impl.name << " len " << len << " align " << align;
      }
    }
    // All 0xff bytes: the sum that is most likely to expose carry mistakes.
    std::vector<std::byte> ones(65536, std::byte{0xff});
    EXPECT_EQ(CsumFold(impl.fn(ones.data(), ones.size(), 0)), ReferenceFolded(ones, 0)) << impl.name;
  }
}

}  // namespace
}  // namespace usnet
