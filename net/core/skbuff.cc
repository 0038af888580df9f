#include "net/core/skbuff.h"

#include <cstring>

namespace usnet {

void SkBuff::ReleaseHeader() {
  if (header_released_) return;
  header_released_ = true;
  --shared_->hdr_users;
}

void SkBuff::AttachFrag(const SkBuff& src, const std::byte* p, uint32_t n) {
  USNET_CHECK(frag_shared_ == nullptr);
  if (n == 0) return;
  const bool in_linear = p >= src.data_ && p + n <= src.tail_;
  USNET_CHECK(in_linear || (p >= src.frag_data_ && p + n <= src.frag_data_ + src.frag_len_));
  frag_shared_ = in_linear ? src.shared_ : src.frag_shared_;
  ++frag_shared_->dataref;
  frag_data_ = p;
  frag_len_ = n;
}

void SkBuff::ReleaseFrag() {
  if (frag_shared_ == nullptr) return;
  pool_->PutBlock(frag_shared_);
  frag_shared_ = nullptr;
  frag_data_ = nullptr;
  frag_len_ = 0;
}

SkbPtr& SkbPtr::operator=(SkbPtr&& o) noexcept {
  if (this != &o) {
    if (p_) {
      // Overwriting a live packet loses it: the same bug as the destructor.
      p_->pool_->stats_.unaccounted++;
      USNET_DCHECK(!"SkbPtr overwritten without Consume or Drop");
      p_->pool_->Free(p_);
    }
    p_ = o.p_;
    o.p_ = nullptr;
  }
  return *this;
}

void SkbPtr::FreeUnaccounted() {
  // Every packet must end in Consume or Drop; reaching here is a bug that
  // tests catch through stats().unaccounted (and Debug builds abort).
  p_->pool_->stats_.unaccounted++;
  USNET_DCHECK(!"SkbPtr destroyed without Consume or Drop");
  p_->pool_->Free(p_);
  p_ = nullptr;
}

SkbPool::SkbPool() : skb_cache_("skbuff_head_cache", sizeof(SkBuff), 256) {
  static constexpr const char* kNames[kClasses] = {"skb-data-256", "skb-data-2k", "skb-data-16k",
                                                   "skb-data-64k"};
  static constexpr size_t kPerChunk[kClasses] = {256, 128, 16, 4};
  for (int i = 0; i < kClasses; ++i) {
    data_caches_[i] =
        new SlabCache(kNames[i], SkbShared::kHeaderSize + kClassSize[i], kPerChunk[i]);
  }
}

SkbPool::~SkbPool() {
  for (SlabCache* c : data_caches_) delete c;
}

SkbPtr SkbPool::Alloc(size_t size, bool header_only) {
  int cls = header_only ? 0 : 1;
  while (cls < kClasses && kClassSize[cls] < size) ++cls;
  if (cls == kClasses) {
    ++stats_.alloc_failures;
    return SkbPtr();
  }
  auto* shared = static_cast<SkbShared*>(data_caches_[cls]->Alloc());
  shared->dataref = 1;
  shared->hdr_users = 1;
  shared->size = static_cast<uint32_t>(kClassSize[cls]);
  shared->size_class = static_cast<uint8_t>(cls);

  // Default-initialized, not value-initialized (no "()"): every field has
  // its initializer, and cb_ is zeroed by InitCb when a layer claims it.
  // SkBuff() would zero all ~180 bytes first, a rep stos that cost more
  // than the rest of the allocation.
  auto* skb = new (skb_cache_.Alloc()) SkBuff;
  skb->pool_ = this;
  skb->shared_ = shared;
  skb->head_ = skb->data_ = skb->tail_ = shared->buffer();
  skb->end_ = skb->head_ + shared->size;
  ++stats_.allocs;
  return SkbPtr(skb);
}

SkbPtr SkbPool::Clone(const SkBuff& src) {
  auto* skb = new (skb_cache_.Alloc()) SkBuff;  // default-init, as in Alloc
  skb->pool_ = this;
  skb->shared_ = src.shared_;
  skb->head_ = src.head_;
  skb->data_ = src.data_;
  skb->tail_ = src.tail_;
  skb->end_ = src.end_;
  skb->mac_ = src.mac_;
  skb->network_ = src.network_;
  skb->transport_ = src.transport_;
  skb->dev = src.dev;
  skb->protocol = src.protocol;
  skb->pkt_type = src.pkt_type;
  skb->ip_summed = src.ip_summed;
  skb->gso_type = src.gso_type;
  skb->csum_start = src.csum_start;
  skb->csum_offset = src.csum_offset;
  skb->gso_size = src.gso_size;
  skb->csum = src.csum;
  skb->tstamp_ns = src.tstamp_ns;
  skb->mark = src.mark;
  skb->cb_tag_ = src.cb_tag_;
  std::memcpy(skb->cb_, src.cb_, kSkbCbSize);
  if (src.frag_shared_ != nullptr) {
    skb->frag_shared_ = src.frag_shared_;
    skb->frag_data_ = src.frag_data_;
    skb->frag_len_ = src.frag_len_;
    ++skb->frag_shared_->dataref;
  }
  // A clone starts out needing its headroom (it is about to get headers).
  ++skb->shared_->dataref;
  ++skb->shared_->hdr_users;
  ++stats_.clones;
  return SkbPtr(skb);
}

void SkbPool::PutBlock(SkbShared* shared) {
  if (--shared->dataref == 0) data_caches_[shared->size_class]->Free(shared);
}

void SkbPool::Free(SkBuff* skb) {
  SkbShared* shared = skb->shared_;
  if (!skb->header_released_) --shared->hdr_users;
  PutBlock(shared);
  if (skb->frag_shared_ != nullptr) PutBlock(skb->frag_shared_);
  skb->~SkBuff();
  skb_cache_.Free(skb);
  ++stats_.frees;
}

void SkbPool::FreeConsumed(SkbPtr skb) {
  if (!skb) return;
  ++stats_.consumed;
  Free(skb.release());
}

void SkbPool::FreeDropped(SkbPtr skb) {
  if (!skb) return;
  ++stats_.dropped;
  Free(skb.release());
}

}  // namespace usnet
