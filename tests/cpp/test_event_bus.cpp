// The event bus without sockets: filters, unsubscribing (also from inside a
// callback, and while other threads publish), the bounded EventQueue, and a
// store whose changes reach a subscriber in MODSEQ order.
#include <atomic>
#include <stdexcept>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "conversation.hpp"
#include "mailroom/engine/event_bus.hpp"
#include "mailroom/store/mail_store.hpp"

using namespace mailroom;
using engine::Event;
using engine::EventBus;
using engine::EventQueue;
using engine::SessionEvent;

namespace {

store::StoreChange change(std::string account, std::uint32_t uid) {
  store::StoreChange c;
  c.account = std::move(account);
  c.folder = "INBOX";
  c.uid = uid;
  return c;
}

TEST(subscribers_get_what_their_filter_accepts) {
  EventBus bus;
  std::vector<std::string> all, bob_only, sessions;
  auto a = bus.subscribe([&](const Event& e) { all.push_back(std::to_string(e.index())); });
  auto f = engine::EventFilter::of({"appended", "flags"}, "bob@example.org");
  auto b = bus.subscribe(
      [&](const Event& e) { bob_only.push_back(std::get<store::StoreChange>(e).account); }, f);
  auto s = engine::EventFilter::of({"session_started", "session_ended"});
  auto c = bus.subscribe([&](const Event& e) { sessions.push_back(std::get<SessionEvent>(e).peer); }, s);
  CHECK_EQ(bus.subscribers(), std::size_t{3});
  bus.publish(change("bob@example.org", 1));
  bus.publish(change("amy@example.org", 2));
  SessionEvent se;
  se.peer = "127.0.0.1:4000";
  bus.publish(se);
  bus.publish(queue::QueueEvent{});
  CHECK_EQ(all.size(), std::size_t{4});
  CHECK_EQ(bob_only.size(), std::size_t{1});
  CHECK_EQ(bob_only.at(0), std::string("bob@example.org"));
  CHECK_EQ(sessions.size(), std::size_t{1});
  b.reset();
  CHECK_EQ(bus.subscribers(), std::size_t{2});
  bool refused = false;
  try {
    (void)engine::EventFilter::of({"arrived"});
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  CHECK(refused);
  CHECK_EQ(std::string(engine::event_kind(Event{se})), std::string("session_started"));
  bus.publish(change("bob@example.org", 3));
  CHECK_EQ(bob_only.size(), std::size_t{1});
}

TEST(a_failing_subscriber_does_not_stop_the_others) {
  EventBus bus;
  int got = 0;
  auto a = bus.subscribe([](const Event&) { throw std::runtime_error("subscriber bug"); });
  auto b = bus.subscribe([&](const Event&) { ++got; });
  bus.publish(change("bob@example.org", 1));
  CHECK_EQ(got, 1);
}

TEST(unsubscribing_from_inside_the_callback) {
  EventBus bus;
  int got = 0;
  EventBus::Subscription sub;
  sub = bus.subscribe([&](const Event&) {
    ++got;
    sub.reset();
  });
  bus.publish(change("bob@example.org", 1));
  bus.publish(change("bob@example.org", 2));
  CHECK_EQ(got, 1);
  CHECK_EQ(bus.subscribers(), std::size_t{0});
}

TEST(a_subscription_may_outlive_the_bus) {
  EventBus::Subscription sub;
  {
    EventBus bus;
    sub = bus.subscribe([](const Event&) {});
  }
  sub.reset();  // no crash, nothing to remove
  CHECK(!sub);
}

// After reset() returns, the callback neither runs nor is called again,
// while four threads keep publishing.
TEST(reset_waits_for_a_call_in_progress) {
  EventBus bus;
  std::atomic<bool> stop{false};
  std::atomic<int> inside{0};
  std::atomic<bool> called_after_reset{false};
  std::atomic<bool> reset_done{false};
  auto sub = bus.subscribe([&](const Event&) {
    ++inside;
    if (reset_done) called_after_reset = true;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    --inside;
  });
  std::vector<std::thread> publishers;
  for (int t = 0; t < 4; ++t)
    publishers.emplace_back([&] {
      while (!stop) bus.publish(change("bob@example.org", 1));
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  sub.reset();
  reset_done = true;
  const int after = inside.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop = true;
  for (auto& t : publishers) t.join();
  CHECK_EQ(after, 0);
  CHECK(!called_after_reset);
}

TEST(event_queue_is_bounded_and_counts_what_it_dropped) {
  EventBus bus;
  EventQueue q(3);
  q.attach(bus);
  for (std::uint32_t uid = 1; uid <= 5; ++uid) bus.publish(change("bob@example.org", uid));
  CHECK_EQ(q.size(), std::size_t{3});
  CHECK_EQ(q.dropped(), std::uint64_t{2});
  auto first = q.pop(std::chrono::milliseconds(0));
  CHECK(first.has_value());
  CHECK_EQ(std::get<store::StoreChange>(*first).uid, std::uint32_t{3});  // the oldest went
  CHECK_EQ(q.drain().size(), std::size_t{2});
  CHECK_EQ(q.pushed(), q.taken());
  CHECK(!q.pop(std::chrono::milliseconds(1)).has_value());
}

TEST(event_queue_pop_wakes_on_push_and_on_close) {
  EventBus bus;
  EventQueue q;
  q.attach(bus);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    bus.publish(change("bob@example.org", 7));
  });
  auto e = q.pop(std::chrono::seconds(10));
  t.join();
  CHECK(e.has_value());
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    q.close();
  });
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(!q.pop(std::chrono::seconds(10)).has_value());
  closer.join();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(q.closed());
  bus.publish(change("bob@example.org", 8));  // ignored once closed
  CHECK_EQ(q.size(), std::size_t{0});
}

// A store wired to a bus: each folder's changes come in MODSEQ order while
// threads append and flag at once.
TEST(store_changes_reach_subscribers_in_modseq_order) {
  EventBus bus;
  store::MailStore st;
  st.set_change_hook([&](const store::StoreChange& c) { bus.publish(c); });
  EventQueue q(1'000'000);
  engine::EventFilter f;
  f.account = "bob@example.org";
  q.attach(bus, f);
  st.ensure_account("bob@example.org");
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto m = st.append("bob@example.org", "INBOX", "Subject: x\r\n\r\nbody\r\n");
        st.store("bob@example.org", "INBOX", {m->uid}, store::FlagChange::Add, {"\\Seen"});
      }
    });
  for (auto& t : writers) t.join();
  std::uint64_t last = 0;
  std::size_t appended = 0, flagged = 0;
  bool ordered = true;
  for (const auto& e : q.drain()) {
    const auto& c = std::get<store::StoreChange>(e);
    if (c.folder != "INBOX" || c.modseq == 0) continue;
    if (c.modseq <= last) ordered = false;
    last = c.modseq;
    if (c.kind == store::StoreChange::Kind::Appended) ++appended;
    if (c.kind == store::StoreChange::Kind::FlagsChanged) ++flagged;
  }
  CHECK(ordered);
  CHECK_EQ(appended, std::size_t{800});
  CHECK_EQ(flagged, std::size_t{800});
  CHECK_EQ(q.dropped(), std::uint64_t{0});
}

}  // namespace

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
