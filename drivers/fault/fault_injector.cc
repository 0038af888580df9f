#include "drivers/fault/fault_injector.h"

#include "net/core/net_core.h"
#include "net/core/skb_bits.h"

namespace usnet {

namespace {
// While a frame waits in the injector it carries its release time.
struct FaultCb {
  static constexpr uint8_t kCbTag = 20;
  int64_t release_ns;
};
}  // namespace

FaultInjector::Direction::Direction(FaultInjector* o, int i, FaultConfig c)
    : owner(o),
      index(i),
      cfg(c),
      timer(
          [](void* ctx) {
            auto* d = static_cast<Direction*>(ctx);
            d->owner->Release(*d);
          },
          this) {}

FaultInjector::FaultInjector(std::unique_ptr<NetDevice> inner, EventLoop& loop, FaultConfig tx,
                             FaultConfig rx, uint64_t seed)
    : WrapperDevice(std::move(inner)),
      loop_(loop),
      rng_(seed),
      dir_{Direction(this, 0, tx), Direction(this, 1, rx)} {}

FaultInjector::~FaultInjector() {
  for (Direction& d : dir_) {
    loop_.hrtimers().Cancel(d.timer);
    while (SkbPtr s = d.waiting.PopFront()) DropSkb(std::move(s), DropReason::kQUEUE_PURGE);
  }
}

bool FaultInjector::Chance(double p) {
  if (p <= 0) return false;
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53 < p;
}

void FaultInjector::StartXmit(SkbPtr skb) { Apply(dir_[0], std::move(skb)); }
void FaultInjector::HandleRx(SkbPtr skb) { Apply(dir_[1], std::move(skb)); }

void FaultInjector::Emit(Direction& d, SkbPtr skb) {
  if (d.index == 0) {
    PassDown(std::move(skb));
  } else {
    Receive(std::move(skb));
  }
}

SkbPtr FaultInjector::Corrupt(SkbPtr skb) {
  // Copy first: the data may be shared (a TCP clone, a duplicate).
  SkbPtr c = skb->pool().Alloc(skb->headroom() + skb->len());
  if (!c) return skb;
  (void)c->Reserve(skb->headroom());
  std::byte* p = c->Put(skb->len());
  SkbCopyBits(*skb, 0, p, skb->len(), core_ != nullptr ? &core_->ledger() : nullptr,
              CopySite::kFault);
  c->dev = skb->dev;
  c->protocol = skb->protocol;
  c->pkt_type = skb->pkt_type;
  c->ip_summed = CsumState::kNone;
  c->tstamp_ns = skb->tstamp_ns;
  skb->pool().FreeConsumed(std::move(skb));
  if (c->len() > 0) {
    const uint64_t bit = rng_() % (uint64_t{c->len()} * 8);
    p[bit / 8] ^= std::byte{static_cast<uint8_t>(1u << (bit % 8))};
  }
  return c;
}

void FaultInjector::Apply(Direction& d, SkbPtr skb) {
  const FaultConfig& c = d.cfg;
  ++d.stats.frames;
  if (!c.active()) {
    Emit(d, std::move(skb));
    return;
  }
  if (Chance(c.loss)) {
    ++d.stats.lost;
    DropSkb(std::move(skb), DropReason::kFAULT_INJECTED);
    return;
  }
  if (Chance(c.corrupt)) {
    ++d.stats.corrupted;
    skb = Corrupt(std::move(skb));
  }
  SkbPtr dup;
  if (Chance(c.duplicate)) {
    ++d.stats.duplicated;
    dup = skb->pool().Clone(*skb);
  }
  const absl::Time now = loop_.now();
  for (SkbPtr* f : {&skb, &dup}) {
    if (!*f) continue;
    absl::Duration extra = c.delay;
    if (c.jitter > absl::ZeroDuration()) {
      extra += absl::Nanoseconds(
          static_cast<int64_t>(rng_() % static_cast<uint64_t>(absl::ToInt64Nanoseconds(c.jitter))));
    }
    if (Chance(c.reorder)) {
      ++d.stats.reordered;
      extra += c.reorder_gap;
    }
    absl::Time release = now + extra;
    if (c.rate_bps > 0) {
      // The frame leaves once the link has sent what is ahead of it.
      const absl::Time start = std::max(now, d.link_free);
      d.link_free = start + absl::Nanoseconds(static_cast<int64_t>((*f)->len()) * 8 *
                                              1'000'000'000 / static_cast<int64_t>(c.rate_bps));
      release = std::max(release, d.link_free);
    }
    if (release <= now && d.waiting.empty()) {
      Emit(d, std::move(*f));
    } else {
      Schedule(d, std::move(*f), release);
    }
  }
}

void FaultInjector::Schedule(Direction& d, SkbPtr skb, absl::Time release) {
  if (d.waiting.size() >= d.cfg.queue_limit) {
    ++d.stats.queue_drops;
    DropSkb(std::move(skb), DropReason::kFULL_RING);
    return;
  }
  ++d.stats.delayed;
  const int64_t ns = absl::ToUnixNanos(release);
  skb->InitCb<FaultCb>().release_ns = ns;
  // Insert in release order (from the back: usually it goes last). Equal
  // times keep arrival order.
  SkBuff* pos = d.waiting.back();
  while (pos != nullptr && pos->Cb<FaultCb>().release_ns > ns) pos = SkbQueue::prev(pos);
  d.waiting.InsertBefore(pos ? SkbQueue::next(pos) : d.waiting.front(), std::move(skb));
  const int64_t first = d.waiting.front()->Cb<FaultCb>().release_ns;
  loop_.hrtimers().Arm(d.timer, absl::FromUnixNanos(first));
}

void FaultInjector::Release(Direction& d) {
  const int64_t now = absl::ToUnixNanos(loop_.now());
  while (!d.waiting.empty() && d.waiting.front()->Cb<FaultCb>().release_ns <= now) {
    Emit(d, d.waiting.PopFront());
  }
  if (!d.waiting.empty()) {
    loop_.hrtimers().Arm(d.timer, absl::FromUnixNanos(d.waiting.front()->Cb<FaultCb>().release_ns));
  }
}

}  // namespace usnet
