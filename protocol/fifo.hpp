// Fifo: the queues that sessions keep (outgoing messages, inflight windows, pending requests,
// events). A vector and the index of its first live element: an empty Fifo holds no
// memory, where a std::deque allocates a 512-byte block on construction; a session has several,
// and a fleet has tens of thousands of sessions whose windows hold one or two messages.
// Removing the front (the usual erase: acks mostly come in order) is O(1); erasing elsewhere
// shifts the elements after it, which stay few because windows are small. References and
// iterators are invalidated by any insertion, as for a std::vector.
#pragma once

#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

namespace mqttsim::protocol {

template <class T>
class Fifo {
 public:
  using value_type = T;
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  iterator begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  const_iterator end() const { return items_.end(); }

  std::size_t size() const { return items_.size() - head_; }
  bool empty() const { return head_ == items_.size(); }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  T& back() { return items_.back(); }
  const T& back() const { return items_.back(); }

  void push_back(T value) { items_.push_back(std::move(value)); }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    return items_.emplace_back(std::forward<Args>(args)...);
  }
  void push_front(T value) {
    if (head_ > 0) {
      items_[--head_] = std::move(value);
    } else {
      items_.insert(items_.begin(), std::move(value));
    }
  }
  template <class InputIt>
  void insert(const_iterator at, InputIt first, InputIt last) {
    items_.insert(at, first, last);
  }
  void pop_back() {
    items_.pop_back();
    if (empty()) clear();
  }
  T take_front() {
    T item = std::move(front());
    pop_front();
    return item;
  }
  // The removed element is destroyed when the Fifo empties or compacts, not at once: that
  // costs no construction per pop, and what it holds is released by then (elements taken out
  // by moving hold nothing, and a popped window slot waits at most until the window drains).
  void pop_front() {
    ++head_;
    compact();
  }
  iterator erase(const_iterator at) {
    if (at == begin()) {
      pop_front();
      return begin();
    }
    return items_.erase(at);
  }
  void clear() {
    items_.clear();
    head_ = 0;
  }

 private:
  // Dead slots at the front are dropped once the Fifo empties, or once they are the majority
  // (amortised O(1) per element).
  void compact() {
    if (head_ == items_.size()) {
      clear();
    } else if (head_ >= 16 && 2 * head_ >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace mqttsim::protocol
