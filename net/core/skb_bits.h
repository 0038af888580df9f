// Reading a packet whose bytes may sit in two places (the linear part and a
// fragment): Linux skb_copy_bits, skb_checksum, and a flat copy of a whole
// frame for consumers outside the stack (pcap, a test tun) with a partial
// checksum finished as the device would.
//
//   uint32_t sum = SkbChecksum(skb, thoff, skb.len() - thoff, pseudo);
//   SkbCopyBits(skb, 0, buf, skb.len(), &ledger, CopySite::kLinearize);
#pragma once

#include <cstdint>
#include <vector>

#include "net/core/copy_ledger.h"
#include "net/core/skbuff.h"

namespace usnet {

// Copies n bytes from `offset`; counted in `ledger` under `site` when given
// (payload copies), a plain memcpy otherwise (headers, tools).
void SkbCopyBits(const SkBuff& skb, uint32_t offset, std::byte* dst, uint32_t n,
                 CopyLedger* ledger = nullptr, CopySite site = CopySite::kLinearize);

// The one's-complement partial sum of n bytes from `offset`, added to sum.
uint32_t SkbChecksum(const SkBuff& skb, uint32_t offset, uint32_t n, uint32_t sum);

// The whole packet from data() as one contiguous copy (not payload: for
// capture and test devices), with a CHECKSUM_PARTIAL checksum filled in.
void SkbFlatten(const SkBuff& skb, std::vector<std::byte>& out);

}  // namespace usnet
