#include "kernel/slab.h"

#include <cstdlib>
#include <new>

#include "kernel/check.h"

// Under AddressSanitizer, free blocks are poisoned so a use after Free is
// reported even though the memory stays in the cache.
#if defined(__SANITIZE_ADDRESS__)
#define USNET_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define USNET_ASAN 1
#endif
#endif
#ifdef USNET_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace usnet {

SlabCache::SlabCache(std::string name, size_t block_size, size_t blocks_per_chunk)
    : name_(std::move(name)),
      block_size_((block_size + 63) & ~size_t{63}),
      blocks_per_chunk_(blocks_per_chunk) {
  USNET_CHECK(blocks_per_chunk_ > 0);
}

SlabCache::~SlabCache() {
  for (void* c : chunks_) {
    UNPOISON(c, block_size_ * blocks_per_chunk_);
    std::free(c);
  }
}

void SlabCache::Grow() {
  const size_t bytes = block_size_ * blocks_per_chunk_;
  void* chunk = std::aligned_alloc(64, bytes);
  if (chunk == nullptr) throw std::bad_alloc();
  chunks_.push_back(chunk);
  ++stats_.chunks;
  stats_.bytes_reserved += bytes;
  auto* base = static_cast<std::byte*>(chunk);
  // Thread the new blocks in address order.
  for (size_t i = blocks_per_chunk_; i-- > 0;) {
    auto* b = reinterpret_cast<FreeBlock*>(base + i * block_size_);
    b->next = free_;
    free_ = b;
    POISON(b, block_size_);
  }
}

void* SlabCache::Alloc() {
  if (free_ == nullptr) Grow();
  FreeBlock* b = free_;
  UNPOISON(b, block_size_);
  free_ = b->next;
  ++stats_.allocs;
  if (++stats_.in_use > stats_.high_water) stats_.high_water = stats_.in_use;
  return b;
}

void SlabCache::Free(void* p) {
  USNET_DCHECK(p != nullptr);
  auto* b = static_cast<FreeBlock*>(p);
  b->next = free_;
  free_ = b;
  POISON(b, block_size_);
  ++stats_.frees;
  --stats_.in_use;
}

}  // namespace usnet
