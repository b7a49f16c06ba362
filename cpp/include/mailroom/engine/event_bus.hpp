// The server's event bus: every change of the store, every session that
// starts or ends and everything that happens in the outgoing queue, as typed
// events, to any number of subscribers.
//
// Subscribers are called synchronously, on the thread that published (a
// network thread, a delivery thread, the blocking pool), one event at a time
// per publisher and in the order of publication for one folder (the store
// publishes with the folder's write lock held, so a folder's events come in
// MODSEQ order). A subscriber must therefore be quick and must not block:
// post the event to its own strand (an IMAP IDLE session, an HTTP event
// stream) or into an EventQueue (Python's dispatcher thread). An exception
// from a subscriber is swallowed; the others still get the event.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mailroom/queue/entry.hpp"
#include "mailroom/store/store_change.hpp"

namespace mailroom::engine {

// A session of any protocol began or ended. `transcript` is set when it ends.
struct SessionEvent {
  enum class Kind { Started, Ended } kind = Kind::Started;
  std::uint64_t id = 0;  // as in Server::sessions()
  std::string protocol;  // "smtp", "pop3", "imap", ...
  std::string peer;      // the client's address
  double at = 0;         // seconds since the epoch
  std::string transcript;
  bool truncated = false;
  std::size_t messages = 0;  // accepted (SMTP) or retrieved (POP3) in it
};

// One event: a store change, a session event, or a queue event.
using Event = std::variant<store::StoreChange, SessionEvent, queue::QueueEvent>;

// An event's kind: "appended", "flags", "expunged", "created", "deleted",
// "renamed" (store), "session_started", "session_ended", "delivered",
// "deferred", "bounced", "delayed" (queue).
const char* event_kind(const Event& e);
// Every kind, in that order.
const std::vector<std::string>& event_kinds();

// Which events a subscriber wants (all of them by default).
struct EventFilter {
  std::uint32_t kinds = ~std::uint32_t{0};  // bit i: event_kinds()[i]
  std::string account;  // non-empty: only the store changes of this account
  bool accepts(const Event& e) const;
  // Only these kinds (names as event_kinds() spells them); throws
  // std::invalid_argument naming an unknown one, or for none at all.
  static EventFilter of(const std::vector<std::string>& kinds, std::string account = {});
};

namespace detail {
struct BusState;
struct BusSlot;
}  // namespace detail

class EventBus {
 public:
  using Callback = std::function<void(const Event&)>;

  // Keeps a subscription alive; destroying or reset()ting it unsubscribes.
  // After reset() returns the callback is not running and is not called
  // again (reset() from inside the callback itself is allowed). It may
  // outlive the bus.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&&) noexcept = default;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription() { reset(); }
    void reset();
    explicit operator bool() const { return slot_ != nullptr; }

   private:
    friend class EventBus;
    Subscription(std::weak_ptr<detail::BusState> bus, std::shared_ptr<detail::BusSlot> slot)
        : bus_(std::move(bus)), slot_(std::move(slot)) {}
    std::weak_ptr<detail::BusState> bus_;
    std::shared_ptr<detail::BusSlot> slot_;
  };

  EventBus();
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  [[nodiscard]] Subscription subscribe(Callback callback, EventFilter filter = {});
  // Calls every subscriber whose filter accepts `event`.
  void publish(const Event& event) const;
  std::size_t subscribers() const;

 private:
  std::shared_ptr<detail::BusState> state_;
};

// A subscriber that keeps events for a thread that takes them when it can
// (Python's dispatcher thread, a test). Bounded: past `capacity` the oldest
// events are dropped and counted.
class EventQueue {
 public:
  explicit EventQueue(std::size_t capacity = 100'000);
  ~EventQueue();
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Starts taking the bus's events (accepted by `filter`); again: resubscribes.
  void attach(EventBus& bus, EventFilter filter = {});
  void detach();
  void push(const Event& event);
  // Waits up to `timeout` for an event; nullopt when none came or close()d.
  std::optional<Event> pop(std::chrono::milliseconds timeout);
  // Everything queued now, without waiting.
  std::vector<Event> drain();
  // Wakes every pop() for good; later pushes are ignored.
  void close();
  // Makes one waiting (or the next) pop() return nullopt at once, if nothing
  // is queued: a reader thread that should stop looks at its own flag then.
  void interrupt();
  bool closed() const;
  std::size_t size() const;
  std::uint64_t dropped() const;
  // Events ever pushed (dropped ones included); with taken(), a barrier:
  // everything pushed before pushed() returned N has been taken once taken()
  // reaches N.
  std::uint64_t pushed() const;
  std::uint64_t taken() const;

 private:
  EventBus::Subscription subscription_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Event> events_;
  std::size_t capacity_;
  std::uint64_t dropped_ = 0;
  std::uint64_t pushed_ = 0;
  std::uint64_t taken_ = 0;
  bool closed_ = false;
  bool interrupted_ = false;
};

const char* to_string(store::StoreChange::Kind k);
const char* to_string(SessionEvent::Kind k);

}  // namespace mailroom::engine
