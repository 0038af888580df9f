#include "net/ipv4/ip_fragment.h"

#include "net/ipv4/icmp.h"
#include "net/ipv4/inet.h"

namespace usnet {

namespace {
// Where a queued fragment's data sits: [offset, end) of the datagram's
// payload, starting `hlen` bytes after skb->data.
struct FragCb {
  static constexpr uint8_t kCbTag = 2;
  uint32_t offset;
  uint32_t end;
  uint16_t hlen;
};
}  // namespace

struct IpFrags::Queue {
  Queue(IpFrags* o, Key k)
      : owner(o), key(k), timer([](void* c) {
                              auto* q = static_cast<Queue*>(c);
                              q->owner->Expire(*q);
                            },
                              this) {}
  ~Queue() { owner->inet_.core().loop().timers().Cancel(timer); }
  IpFrags* owner;
  Key key;
  SkbQueue frags;      // ordered by offset
  uint32_t len = 0;    // payload length: known once the last fragment came
  uint32_t meat = 0;   // payload bytes held
  bool first_in = false;
  bool last_in = false;
  uint64_t truesize = 0;
  Timer timer;
};

IpFrags::IpFrags(Inet& inet) : inet_(inet) {}

IpFrags::~IpFrags() {
  while (!queues_.empty()) Kill(*queues_.begin()->second, DropReason::kQUEUE_PURGE);
}

void IpFrags::Kill(Queue& q, DropReason reason) {
  while (SkbPtr s = q.frags.PopFront()) inet_.core().Drop(std::move(s), reason);
  mem_ -= q.truesize;
  queues_.erase(q.key);  // destroys q
}

void IpFrags::Expire(Queue& q) {
  inet_.ip_mib.Inc(IpMib::kReasmFails);
  inet_.ip_mib.Inc(IpMib::kReasmTimeout);
  // ip_expire: tell the sender, if we hold the first fragment (the one
  // with the transport header it can match).
  if (q.first_in && !q.frags.empty()) {
    inet_.icmp().Send(*q.frags.front(), kIcmpTimeExceeded, kIcmpExcFragTime, 0);
  }
  Kill(q, DropReason::kFRAG_REASM_TIMEOUT);
}

SkbPtr IpFrags::Defrag(SkbPtr skb) {
  Mib<IpMib>& mib = inet_.ip_mib;
  mib.Inc(IpMib::kReasmReqds);
  auto ip = Ipv4View::Parse(skb->cspan());
  const Ipv4Config& cfg = inet_.config();
  if (mem_ > static_cast<uint64_t>(cfg.ipfrag_high_thresh)) {
    mib.Inc(IpMib::kReasmFails);
    inet_.core().Drop(std::move(skb), DropReason::kFRAG_TOO_FAR);
    return SkbPtr();
  }
  const Key key{ip->src().value(), ip->dst().value(), ip->id(), ip->protocol()};
  auto& slot = queues_[key];
  if (!slot) {
    slot = std::make_unique<Queue>(this, key);
    inet_.core().loop().timers().Arm(slot->timer,
                                     inet_.core().now() + absl::Seconds(cfg.ipfrag_time));
  }
  Queue& q = *slot;

  const uint32_t offset = static_cast<uint32_t>(ip->frag_offset());
  uint32_t end = offset + static_cast<uint32_t>(ip->payload().size());
  const uint16_t hlen = static_cast<uint16_t>(ip->header_len());
  // ip_frag_queue's consistency rules.
  if (!ip->mf()) {
    if (end < q.len || (q.last_in && end != q.len)) {
      mib.Inc(IpMib::kReasmFails);
      inet_.core().Drop(std::move(skb), DropReason::kFRAG_TOO_FAR);
      Kill(q, DropReason::kFRAG_TOO_FAR);
      return SkbPtr();
    }
    q.last_in = true;
    q.len = end;
  } else {
    end &= ~7u;  // non-final fragments carry multiples of 8 bytes
    if (end > q.len) {
      if (q.last_in) {
        mib.Inc(IpMib::kReasmFails);
        inet_.core().Drop(std::move(skb), DropReason::kFRAG_TOO_FAR);
        Kill(q, DropReason::kFRAG_TOO_FAR);
        return SkbPtr();
      }
      q.len = end;
    }
  }
  if (end <= offset || hlen + q.len > kIpv4MaxPacket) {
    mib.Inc(IpMib::kReasmFails);
    inet_.core().Drop(std::move(skb), DropReason::kPKT_TOO_BIG);
    Kill(q, DropReason::kPKT_TOO_BIG);
    return SkbPtr();
  }

  // Find the insertion point; check both neighbours for overlap.
  SkBuff* next = q.frags.front();
  while (next != nullptr && next->Cb<FragCb>().offset < offset) next = SkbQueue::next(next);
  SkBuff* prev = next ? SkbQueue::prev(next) : q.frags.back();
  auto overlaps = [&](const SkBuff* s) {
    const FragCb& c = s->Cb<FragCb>();
    return c.offset < end && offset < c.end;
  };
  auto same = [&](const SkBuff* s) {
    const FragCb& c = s->Cb<FragCb>();
    return c.offset == offset && c.end == end;
  };
  if ((next && overlaps(next)) || (prev && overlaps(prev))) {
    if ((next && same(next)) || (prev && same(prev))) {
      inet_.core().Drop(std::move(skb), DropReason::kDUP_FRAG);
      return SkbPtr();
    }
    inet_.ipext_mib.Inc(IpExtMib::kReasmOverlaps);
    mib.Inc(IpMib::kReasmFails);
    inet_.core().Drop(std::move(skb), DropReason::kIP_OVERLAP);
    Kill(q, DropReason::kIP_OVERLAP);
    return SkbPtr();
  }
  FragCb& cb = skb->InitCb<FragCb>();
  cb.offset = offset;
  cb.end = end;
  cb.hlen = hlen;
  (void)skb->Trim(hlen + (end - offset));
  q.meat += end - offset;
  q.truesize += skb->truesize();
  mem_ += skb->truesize();
  if (offset == 0) q.first_in = true;
  q.frags.InsertBefore(next, std::move(skb));

  if (q.first_in && q.last_in && q.meat == q.len) return Reassemble(q);
  return SkbPtr();
}

SkbPtr IpFrags::Reassemble(Queue& q) {
  SkBuff* first = q.frags.front();
  const FragCb& fcb = first->Cb<FragCb>();
  const size_t total = fcb.hlen + q.len;
  if (total > kIpv4MaxPacket) {
    // Linux ip_frag_reasm (out_oversize): the head's header plus the payload
    // must fit in 64 KiB. Each fragment was checked against its own header
    // length only, and the head may carry options the others lack.
    inet_.ip_mib.Inc(IpMib::kReasmFails);
    Kill(q, DropReason::kPKT_TOO_BIG);
    return SkbPtr();
  }
  SkbPtr skb = inet_.core().AllocSkb(kRxHeadroom, total);
  if (!skb) {
    inet_.ip_mib.Inc(IpMib::kReasmFails);
    Kill(q, DropReason::kNOMEM);
    return SkbPtr();
  }
  std::byte* out = skb->Put(total);
  CopyLedger& ledger = inet_.core().ledger();
  std::memcpy(out, first->data(), fcb.hlen);  // the header: not payload
  for (SkBuff* s = first; s != nullptr; s = SkbQueue::next(s)) {
    const FragCb& c = s->Cb<FragCb>();
    ledger.Copy(CopySite::kReassemble, out + fcb.hlen + c.offset, s->data() + c.hlen, c.end - c.offset);
  }
  StoreBe16(out + 2, static_cast<uint16_t>(total));
  StoreBe16(out + 6, 0);  // no MF, offset 0 (DF cannot be set on fragments)
  Ipv4UpdateChecksum(out);
  skb->dev = first->dev;
  skb->pkt_type = first->pkt_type;
  skb->protocol = first->protocol;
  skb->ip_summed = CsumState::kNone;
  skb->tstamp_ns = first->tstamp_ns;
  skb->SetNetworkHeader();
  inet_.ip_mib.Inc(IpMib::kReasmOKs);
  // The fragments are done with: delivered as part of the whole.
  while (SkbPtr s = q.frags.PopFront()) inet_.core().Consume(std::move(s));
  mem_ -= q.truesize;
  queues_.erase(q.key);
  return skb;
}

}  // namespace usnet
