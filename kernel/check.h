// Invariant checks.
//
// USNET_CHECK is always on: for invariants whose violation means memory would
// be corrupted (an skb pulled past its tail, a timer armed twice). USNET_DCHECK
// is compiled only into Debug builds (the sanitizer build runs the whole suite
// with them on); use it on the per-packet path.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace usnet::internal {
[[noreturn]] inline void CheckFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
  std::abort();
}
}  // namespace usnet::internal

#define USNET_CHECK(cond) \
  ((cond) ? (void)0 : ::usnet::internal::CheckFailed(#cond, __FILE__, __LINE__))

#ifdef NDEBUG
#define USNET_DCHECK(cond) ((void)0)
#else
#define USNET_DCHECK(cond) USNET_CHECK(cond)
#endif
