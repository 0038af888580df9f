// SkBuff micro-benchmarks: what one packet costs the allocator and the
// header arithmetic, before any protocol runs.
//
//   usnet_bench --benchmark_filter=Skb
//
// BM_SkbAllocPushPullFree is the figure docs/BENCHMARKS.md reports: one
// transmit-shaped life (allocate with headroom, put the payload, push
// UDP + IPv4 + Ethernet) followed by the receive-shaped half (pull the three
// headers back off), ending in Consume like every delivered packet.
#include <cstring>

#include "benchmark/benchmark.h"
#include "net/core/skbuff.h"

namespace usnet {
namespace {

constexpr size_t kPayload = 18;  // a minimum-size (60-byte) UDP frame's payload

void BM_SkbAllocFree(benchmark::State& state) {
  SkbPool pool;
  for (auto _ : state) {
    SkbPtr skb = pool.Alloc(kMaxHeaderRoom + kPayload);
    benchmark::DoNotOptimize(skb.get());
    pool.FreeConsumed(std::move(skb));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SkbAllocFree);

void BM_SkbAllocPushPullFree(benchmark::State& state) {
  SkbPool pool;
  for (auto _ : state) {
    SkbPtr skb = pool.Alloc(kMaxHeaderRoom + kPayload);
    (void)skb->Reserve(kMaxHeaderRoom);
    std::byte* payload = skb->Put(kPayload);
    benchmark::DoNotOptimize(payload);
    std::byte* h = skb->Push(8);   // UDP
    h = skb->Push(20);             // IPv4
    h = skb->Push(14);             // Ethernet
    benchmark::DoNotOptimize(h);
    h = skb->Pull(14);
    h = skb->Pull(20);
    h = skb->Pull(8);
    benchmark::DoNotOptimize(h);
    if (skb->len() != kPayload) state.SkipWithError("length mismatch");
    pool.FreeConsumed(std::move(skb));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SkbAllocPushPullFree);

// Push + pull alone on one long-lived skb: the header arithmetic.
void BM_SkbPushPull(benchmark::State& state) {
  SkbPool pool;
  SkbPtr skb = pool.Alloc(kMaxHeaderRoom + kPayload);
  (void)skb->Reserve(kMaxHeaderRoom);
  (void)skb->Put(kPayload);
  for (auto _ : state) {
    benchmark::DoNotOptimize(skb->Push(8));
    benchmark::DoNotOptimize(skb->Push(20));
    benchmark::DoNotOptimize(skb->Push(14));
    benchmark::DoNotOptimize(skb->Pull(14));
    benchmark::DoNotOptimize(skb->Pull(20));
    benchmark::DoNotOptimize(skb->Pull(8));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  pool.FreeConsumed(std::move(skb));
}
BENCHMARK(BM_SkbPushPull);

// Clone + free of the clone: what TCP pays per transmitted segment.
void BM_SkbCloneFree(benchmark::State& state) {
  SkbPool pool;
  SkbPtr skb = pool.Alloc(kMaxHeaderRoom + 1460);
  (void)skb->Reserve(kMaxHeaderRoom);
  (void)skb->Put(1460);
  for (auto _ : state) {
    SkbPtr c = pool.Clone(*skb);
    benchmark::DoNotOptimize(c.get());
    pool.FreeConsumed(std::move(c));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  pool.FreeConsumed(std::move(skb));
}
BENCHMARK(BM_SkbCloneFree);

}  // namespace
}  // namespace usnet
