// An intrusive FIFO of SkBuffs (Linux sk_buff_head). The queue owns what it
// holds; PopFront hands ownership back as an SkbPtr.
//
//   SkbQueue q;
//   q.PushBack(std::move(skb));
//   while (SkbPtr s = q.PopFront()) core.Consume(std::move(s));
#pragma once

#include <cstdint>

#include "net/core/skbuff.h"

namespace usnet {

class SkbQueue {
 public:
  SkbQueue() = default;
  SkbQueue(const SkbQueue&) = delete;
  SkbQueue& operator=(const SkbQueue&) = delete;
  // A queue must be emptied (every skb consumed or dropped) before it dies.
  ~SkbQueue() { USNET_CHECK(empty()); }

  bool empty() const { return head_ == nullptr; }
  uint32_t size() const { return qlen_; }
  uint64_t bytes() const { return bytes_; }          // sum of len()
  uint64_t truesize() const { return truesize_; }    // sum of truesize()
  SkBuff* front() const { return head_; }
  SkBuff* back() const { return tail_; }
  static SkBuff* next(const SkBuff* s) { return s->next_; }
  static SkBuff* prev(const SkBuff* s) { return s->prev_; }

  void PushBack(SkbPtr skb) { InsertBefore(nullptr, std::move(skb)); }
  void PushFront(SkbPtr skb) { InsertBefore(head_, std::move(skb)); }
  // Inserts before `pos` (nullptr: at the back).
  void InsertBefore(SkBuff* pos, SkbPtr skb) {
    SkBuff* s = skb.release();
    s->next_ = pos;
    s->prev_ = pos ? pos->prev_ : tail_;
    if (s->prev_) {
      s->prev_->next_ = s;
    } else {
      head_ = s;
    }
    if (pos) {
      pos->prev_ = s;
    } else {
      tail_ = s;
    }
    Account(s, +1);
  }
  SkbPtr PopFront() { return head_ ? Unlink(head_) : SkbPtr(); }
  SkbPtr PopBack() { return tail_ ? Unlink(tail_) : SkbPtr(); }
  SkbPtr Unlink(SkBuff* s) {
    if (s->prev_) {
      s->prev_->next_ = s->next_;
    } else {
      head_ = s->next_;
    }
    if (s->next_) {
      s->next_->prev_ = s->prev_;
    } else {
      tail_ = s->prev_;
    }
    s->next_ = s->prev_ = nullptr;
    Account(s, -1);
    return SkbPtr(s);
  }
  // Moves every skb of `other` to the back of this queue.
  void Splice(SkbQueue& other) {
    while (SkbPtr s = other.PopFront()) PushBack(std::move(s));
  }

 private:
  void Account(SkBuff* s, int sign) {
    qlen_ += sign;
    bytes_ += static_cast<int64_t>(sign) * s->len();
    truesize_ += static_cast<int64_t>(sign) * s->truesize();
  }
  SkBuff* head_ = nullptr;
  SkBuff* tail_ = nullptr;
  uint32_t qlen_ = 0;
  uint64_t bytes_ = 0;
  uint64_t truesize_ = 0;
};

}  // namespace usnet
