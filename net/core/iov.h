// Moving payload between user iovecs and skbs, through the copy ledger.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <span>

#include "net/core/copy_ledger.h"

namespace usnet {

inline size_t IovLength(const iovec* iov, size_t n) {
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) total += iov[i].iov_len;
  return total;
}

// Copies up to dst.size() bytes from the iovecs, skipping `offset` bytes.
// Returns the bytes copied.
inline size_t CopyFromIovec(CopyLedger& ledger, CopySite site, std::byte* dst, size_t len,
                            const iovec* iov, size_t n, size_t offset = 0) {
  size_t done = 0;
  for (size_t i = 0; i < n && done < len; ++i) {
    size_t l = iov[i].iov_len;
    if (offset >= l) {
      offset -= l;
      continue;
    }
    size_t take = std::min(l - offset, len - done);
    ledger.Copy(site, dst + done, static_cast<const std::byte*>(iov[i].iov_base) + offset, take);
    done += take;
    offset = 0;
  }
  return done;
}

// Copies src into the iovecs starting `offset` bytes in; returns bytes copied.
inline size_t CopyToIovec(CopyLedger& ledger, CopySite site, const iovec* iov, size_t n,
                          std::span<const std::byte> src, size_t offset = 0) {
  size_t done = 0;
  for (size_t i = 0; i < n && done < src.size(); ++i) {
    size_t l = iov[i].iov_len;
    if (offset >= l) {
      offset -= l;
      continue;
    }
    size_t take = std::min(l - offset, src.size() - done);
    ledger.Copy(site, static_cast<std::byte*>(iov[i].iov_base) + offset, src.data() + done, take);
    done += take;
    offset = 0;
  }
  return done;
}

}  // namespace usnet
