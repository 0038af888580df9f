// Internet checksum (CsumPartial, RFC 1071) throughput beside memcpy of the
// same sizes, the yardstick the checksum is held to (aim: within 2x).
//
//   usnet_bench --benchmark_filter='Csum|Memcpy'
//
// Both run over the same cache-resident, 64-byte-aligned buffers, so the
// ratio compares the two loops, not the memory system. Before timing, the
// checksum is checked against a plain 16-bit-word reference sum, so a fast
// but wrong implementation reports an error instead of a figure.
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>

#include "benchmark/benchmark.h"
#include "net/core/checksum.h"

namespace usnet {
namespace {

struct AlignedBuf {
  explicit AlignedBuf(size_t n) : p(static_cast<std::byte*>(std::aligned_alloc(64, (n + 63) & ~size_t{63}))) {
    std::mt19937 rng(static_cast<uint32_t>(n));
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<std::byte>(rng());
  }
  ~AlignedBuf() { std::free(p); }
  AlignedBuf(const AlignedBuf&) = delete;
  AlignedBuf& operator=(const AlignedBuf&) = delete;
  std::byte* p;
};

// RFC 1071 section 4.1, over native-order 16-bit words.
uint16_t ReferenceCsum(const std::byte* p, size_t len) {
  uint64_t s = 0;
  for (; len >= 2; p += 2, len -= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    s += w;
  }
  if (len == 1) {
    uint16_t w = 0;
    std::memcpy(&w, p, 1);
    s += w;
  }
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

bool CsumMatchesReference(const std::byte* p, size_t n) {
  // Every length near n and a few start offsets, so tails and odd sizes count.
  for (size_t off = 0; off < 3; ++off) {
    for (size_t len = n >= 70 ? n - 70 : 0; len + off <= n; ++len) {
      if (CsumFold(CsumPartial(p + off, len, 0)) != ReferenceCsum(p + off, len)) return false;
    }
  }
  return true;
}

void BM_CsumPartial(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  AlignedBuf buf(n);
  if (!CsumMatchesReference(buf.p, n)) {
    state.SkipWithError("CsumPartial disagrees with the reference sum");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(buf.p);
    uint32_t s = CsumPartial(buf.p, n, 0);
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}
BENCHMARK(BM_CsumPartial)->Arg(64)->Arg(576)->Arg(1500)->Arg(9000)->Arg(65536);

void BM_Memcpy(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  AlignedBuf src(n), dst(n);
  for (auto _ : state) {
    benchmark::DoNotOptimize(src.p);
    benchmark::DoNotOptimize(dst.p);
    std::memcpy(dst.p, src.p, n);
    benchmark::ClobberMemory();  // the copy must really happen, every time
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}
BENCHMARK(BM_Memcpy)->Arg(64)->Arg(576)->Arg(1500)->Arg(9000)->Arg(65536);

}  // namespace
}  // namespace usnet
