#include "mailroom/engine/event_bus.hpp"

#include <algorithm>
#include <stdexcept>

namespace mailroom::engine {

namespace detail {

// One subscriber. `calling` is held while its callback runs, so reset() can
// wait for a call in progress; recursive, so the callback may reset() itself.
struct BusSlot {
  EventBus::Callback callback;
  EventFilter filter;
  std::recursive_mutex calling;
  bool active = true;  // under `calling`
};

struct BusState {
  std::mutex mutex;
  // Copy on write: publish() takes a snapshot and calls without the lock.
  std::shared_ptr<const std::vector<std::shared_ptr<BusSlot>>> slots =
      std::make_shared<const std::vector<std::shared_ptr<BusSlot>>>();

  void remove(const BusSlot* slot) {
    std::lock_guard lock(mutex);
    auto next = std::make_shared<std::vector<std::shared_ptr<BusSlot>>>(*slots);
    std::erase_if(*next, [slot](const auto& s) { return s.get() == slot; });
    slots = std::move(next);
  }
};

}  // namespace detail

namespace {

// Bit positions in EventFilter::kinds, in event_kinds() order.
unsigned kind_index(const Event& e) {
  if (const auto* c = std::get_if<store::StoreChange>(&e)) return static_cast<unsigned>(c->kind);
  if (const auto* s = std::get_if<SessionEvent>(&e)) return 6 + static_cast<unsigned>(s->kind);
  return 8 + static_cast<unsigned>(std::get<queue::QueueEvent>(e).kind);
}

}  // namespace

const std::vector<std::string>& event_kinds() {
  static const std::vector<std::string> kinds = {
      "appended",      "flags",     "expunged", "created",  "deleted", "renamed",
      "session_started", "session_ended", "delivered", "deferred", "bounced", "delayed"};
  return kinds;
}

const char* event_kind(const Event& e) { return event_kinds()[kind_index(e)].c_str(); }

bool EventFilter::accepts(const Event& e) const {
  if (!(kinds & (std::uint32_t{1} << kind_index(e)))) return false;
  if (const auto* c = std::get_if<store::StoreChange>(&e))
    return account.empty() || c->account == account;
  return true;
}

EventFilter EventFilter::of(const std::vector<std::string>& names, std::string account) {
  EventFilter f;
  f.kinds = 0;
  f.account = std::move(account);
  const auto& all = event_kinds();
  for (const auto& n : names) {
    auto it = std::find(all.begin(), all.end(), n);
    if (it == all.end()) {
      std::string list;
      for (const auto& k : all) list += (list.empty() ? "" : ", ") + k;
      throw std::invalid_argument("unknown event kind '" + n + "'; the kinds are " + list);
    }
    f.kinds |= std::uint32_t{1} << (it - all.begin());
  }
  if (!f.kinds) throw std::invalid_argument("no event kind given: no event would match");
  return f;
}

EventBus::Subscription& EventBus::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    bus_ = std::move(other.bus_);
    slot_ = std::move(other.slot_);
  }
  return *this;
}

void EventBus::Subscription::reset() {
  if (!slot_) return;
  {
    std::lock_guard wait_for_call(slot_->calling);
    slot_->active = false;
  }
  if (auto bus = bus_.lock()) bus->remove(slot_.get());
  slot_.reset();
  bus_.reset();
}

EventBus::EventBus() : state_(std::make_shared<detail::BusState>()) {}
EventBus::~EventBus() = default;

EventBus::Subscription EventBus::subscribe(Callback callback, EventFilter filter) {
  auto slot = std::make_shared<detail::BusSlot>();
  slot->callback = std::move(callback);
  slot->filter = std::move(filter);
  std::lock_guard lock(state_->mutex);
  auto next = std::make_shared<std::vector<std::shared_ptr<detail::BusSlot>>>(*state_->slots);
  next->push_back(slot);
  state_->slots = std::move(next);
  return Subscription(state_, std::move(slot));
}

void EventBus::publish(const Event& event) const {
  std::shared_ptr<const std::vector<std::shared_ptr<detail::BusSlot>>> slots;
  {
    std::lock_guard lock(state_->mutex);
    slots = state_->slots;
  }
  for (const auto& slot : *slots) {
    if (!slot->filter.accepts(event)) continue;
    std::lock_guard call(slot->calling);
    if (!slot->active) continue;
    try {
      slot->callback(event);
    } catch (...) {
      // A subscriber's failure is its own; the others still get the event.
    }
  }
}

std::size_t EventBus::subscribers() const {
  std::lock_guard lock(state_->mutex);
  return state_->slots->size();
}

// ---------------------------------------------------------------------------

EventQueue::EventQueue(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

EventQueue::~EventQueue() {
  subscription_.reset();
  close();
}

void EventQueue::attach(EventBus& bus, EventFilter filter) {
  subscription_ = bus.subscribe([this](const Event& e) { push(e); }, std::move(filter));
}

void EventQueue::detach() { subscription_.reset(); }

void EventQueue::push(const Event& event) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    ++pushed_;
    if (events_.size() >= capacity_) {
      // The oldest goes: a reader that fell this far behind wants the news.
      events_.pop_front();
      ++dropped_;
      ++taken_;
    }
    events_.push_back(event);
  }
  ready_.notify_one();
}

std::optional<Event> EventQueue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, timeout,
                       [&] { return closed_ || interrupted_ || !events_.empty(); }))
    return {};
  if (events_.empty()) {
    interrupted_ = false;
    return {};
  }
  Event e = std::move(events_.front());
  events_.pop_front();
  ++taken_;
  return e;
}

std::vector<Event> EventQueue::drain() {
  std::lock_guard lock(mutex_);
  std::vector<Event> out(std::make_move_iterator(events_.begin()),
                         std::make_move_iterator(events_.end()));
  taken_ += events_.size();
  events_.clear();
  return out;
}

void EventQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

void EventQueue::interrupt() {
  {
    std::lock_guard lock(mutex_);
    interrupted_ = true;
  }
  ready_.notify_all();
}

bool EventQueue::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::size_t EventQueue::size() const {
  std::lock_guard lock(mutex_);
  return events_.size();
}

std::uint64_t EventQueue::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::uint64_t EventQueue::pushed() const {
  std::lock_guard lock(mutex_);
  return pushed_;
}

std::uint64_t EventQueue::taken() const {
  std::lock_guard lock(mutex_);
  return taken_;
}

const char* to_string(store::StoreChange::Kind k) {
  return event_kinds()[static_cast<unsigned>(k)].c_str();
}

const char* to_string(SessionEvent::Kind k) {
  return event_kinds()[6 + static_cast<unsigned>(k)].c_str();
}

}  // namespace mailroom::engine
