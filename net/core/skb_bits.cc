#include "net/core/skb_bits.h"

#include <cstring>

#include "net/core/checksum.h"

namespace usnet {

void SkbCopyBits(const SkBuff& skb, uint32_t offset, std::byte* dst, uint32_t n, CopyLedger* ledger,
                 CopySite site) {
  skb.ForEachChunk(offset, n, [&](std::span<const std::byte> c) {
    if (ledger != nullptr) {
      ledger->Copy(site, dst, c.data(), c.size());
    } else if (!c.empty()) {
      std::memcpy(dst, c.data(), c.size());
    }
    dst += c.size();
  });
}

uint32_t SkbChecksum(const SkBuff& skb, uint32_t offset, uint32_t n, uint32_t sum) {
  size_t pos = 0;
  skb.ForEachChunk(offset, n, [&](std::span<const std::byte> c) {
    sum = CsumBlockAdd(sum, CsumPartial(c.data(), c.size(), 0), pos);
    pos += c.size();
  });
  return sum;
}

void SkbFlatten(const SkBuff& skb, std::vector<std::byte>& out) {
  out.resize(skb.len());
  SkbCopyBits(skb, 0, out.data(), skb.len());
  if (skb.ip_summed != CsumState::kPartial) return;
  // The field holds the pseudo-header sum; summing from csum_start to the
  // end and storing the folded result is what the device would do.
  const size_t start = skb.csum_start - skb.headroom();
  if (start + skb.csum_offset + 2 > out.size()) return;
  uint16_t c = CsumFold(CsumPartial(out.data() + start, out.size() - start, 0));
  if (c == 0) c = 0xffff;
  StoreCsum(out.data() + start + skb.csum_offset, c);
}

}  // namespace usnet
