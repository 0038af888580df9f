// Fixed-size object caches (Linux kmem_cache): blocks come from a free list
// and go back to it, so the per-packet path never calls malloc once the cache
// has warmed up. Memory is taken from the system in chunks and returned only
// when the cache is destroyed. Single-threaded, like everything the event
// loop runs.
//
//   SlabCache cache("skbuff", sizeof(SkBuff), 256);
//   void* p = cache.Alloc();
//   cache.Free(p);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace usnet {

struct SlabStats {
  uint64_t allocs = 0;        // Alloc calls
  uint64_t frees = 0;         // Free calls
  uint64_t in_use = 0;        // blocks handed out now
  uint64_t high_water = 0;    // most blocks ever in use at once
  uint64_t chunks = 0;        // system allocations made (growth)
  uint64_t bytes_reserved = 0;
};

class SlabCache {
 public:
  // block_size is rounded up to 64 bytes (a cache line).
  SlabCache(std::string name, size_t block_size, size_t blocks_per_chunk = 64);
  SlabCache(const SlabCache&) = delete;
  SlabCache& operator=(const SlabCache&) = delete;
  ~SlabCache();

  void* Alloc();
  void Free(void* p);

  const std::string& name() const { return name_; }
  size_t block_size() const { return block_size_; }
  const SlabStats& stats() const { return stats_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  void Grow();

  std::string name_;
  size_t block_size_;
  size_t blocks_per_chunk_;
  FreeBlock* free_ = nullptr;
  std::vector<void*> chunks_;
  SlabStats stats_;
};

}  // namespace usnet
