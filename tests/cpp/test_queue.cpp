// The queue's pieces without a network: spool files written and read back
// (including a torn last state snapshot after a crash), next hops and routes,
// and the schedule on a manual clock with a next hop that refuses connections.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "conversation.hpp"
#include "mailroom/engine/server.hpp"
#include "mailroom/queue/outgoing_queue.hpp"
#include "mailroom/queue/spool.hpp"
#include "mailroom/store/durable_file.hpp"

using namespace mailroom::queue;
namespace fs = std::filesystem;

namespace {

QueueEntry sample() {
  QueueEntry e;
  e.id = "66ABC0001";
  e.mail_from = "alice@a.test";
  e.rcpts = {QueueRecipient{"bob@b.test"}, QueueRecipient{"carol@c.test"}};
  e.data = std::make_shared<const std::string>("Subject: x\r\n\r\nline\r\nrcpt evil\r\n");
  e.arrived_at = e.next_attempt = 1'800'000'000.25;
  return e;
}

fs::path temp_dir(const char* name) {
  fs::path p = fs::temp_directory_path() / (std::string(name) + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

}  // namespace

TEST(entry_round_trip) {
  QueueEntry e = sample(), back;
  CHECK(Spool::decode_entry(Spool::encode_entry(e), back));
  CHECK(back.id == e.id && back.mail_from == e.mail_from);
  CHECK(back.rcpts.size() == 2 && back.rcpts[1].address == "carol@c.test");
  CHECK(*back.data == *e.data);
  CHECK(back.arrived_at == e.arrived_at);
}

TEST(entry_refuses_damage) {
  std::string bytes = Spool::encode_entry(sample());
  QueueEntry out;
  CHECK(!Spool::decode_entry(bytes.substr(0, bytes.size() - 1), out));  // data cut short
  CHECK(!Spool::decode_entry("garbage", out));
  std::string bad_id = bytes;
  bad_id.replace(bad_id.find("66ABC0001"), 9, "../../etc");
  CHECK(!Spool::decode_entry(bad_id, out));
}

TEST(state_snapshots_and_a_torn_one) {
  QueueEntry e = sample();
  e.attempts = 2;
  e.next_attempt += 3600;
  e.rcpts[0].status = RecipientStatus::Delivered;
  e.rcpts[0].last_code = 250;
  e.rcpts[0].last_reply = "250 2.0.0 OK\tqueued";  // a tab must not split fields
  e.rcpts[1].last_code = 451;
  e.rcpts[1].remote_host = "127.0.0.1:2626";
  e.rcpts[1].attempts = 2;
  std::string first = Spool::encode_state(e);
  QueueEntry later = e;
  later.attempts = 3;
  later.rcpts[1].status = RecipientStatus::Failed;
  later.rcpts[1].reported = true;
  std::string second = Spool::encode_state(later);

  QueueEntry loaded = sample();
  Spool::apply_state(first + second.substr(0, second.size() - 5), loaded);  // torn: no "end"
  CHECK(loaded.attempts == 2);
  CHECK(loaded.rcpts[0].status == RecipientStatus::Delivered);
  CHECK(loaded.rcpts[0].last_reply == "250 2.0.0 OK queued");
  CHECK(loaded.rcpts[1].status == RecipientStatus::Pending);
  CHECK(loaded.rcpts[1].remote_host == "127.0.0.1:2626" && loaded.rcpts[1].attempts == 2);
  CHECK(loaded.next_attempt == e.next_attempt);

  QueueEntry all = sample();
  Spool::apply_state(first + second, all);
  CHECK(all.attempts == 3 && all.rcpts[1].status == RecipientStatus::Failed && all.rcpts[1].reported);
}

TEST(entry_with_dsn_parameters_round_trip) {
  QueueEntry e = sample();
  e.dsn.ret = "FULL";
  e.dsn.envid = "env id+1=2";
  e.dsn.has_envid = true;
  e.rcpts[0].dsn.notify = mailroom::smtp::kNotifySuccess | mailroom::smtp::kNotifyDelay;
  e.rcpts[0].dsn.orcpt_type = "rfc822";
  e.rcpts[0].dsn.orcpt = "Bob <b@b.test>";
  e.rcpts[1].dsn.notify = mailroom::smtp::kNotifyNever;
  const std::string bytes = Spool::encode_entry(e);
  CHECK(bytes.find("envid env+20id+2B1+3D2\n") != std::string::npos);
  QueueEntry back;
  CHECK(Spool::decode_entry(bytes, back));
  CHECK(back.dsn.ret == "FULL" && back.dsn.has_envid && back.dsn.envid == e.dsn.envid);
  CHECK(back.rcpts.size() == 2);
  if (back.rcpts.size() != 2) return;
  CHECK(back.rcpts[0].dsn.notify == e.rcpts[0].dsn.notify);
  CHECK(back.rcpts[0].dsn.orcpt == "Bob <b@b.test>" && back.rcpts[0].dsn.orcpt_type == "rfc822");
  CHECK(back.rcpts[1].dsn.notify == mailroom::smtp::kNotifyNever && back.rcpts[1].dsn.orcpt_type.empty());
  CHECK(*back.data == *e.data);
}

TEST(spool_written_before_dsn_still_reads) {
  // An entry and a state file as written before the DSN fields existed.
  const std::string entry =
      "mailroom-queue 1\nid 66ABC0001\nfrom alice@a.test\narrived 1800000000.250000\n"
      "rcpt bob@b.test\nrcpt carol@c.test\ndata 3\nx\r\n";
  QueueEntry e;
  CHECK(Spool::decode_entry(entry, e));
  CHECK(e.rcpts.size() == 2 && e.dsn.empty());
  for (const auto& r : e.rcpts) CHECK(r.dsn.empty());
  // Without DSN parameters an entry is written exactly as before.
  CHECK(Spool::encode_entry(e) == entry);
  Spool::apply_state(
      "attempt 2 1800003600.000000 1\n"
      "rcpt\t0\tD\t1\t250\t1800000001.000000\t127.0.0.1:2626\t250 2.0.0 OK\n"
      "rcpt\t1\tP\t2\t451\t1800003500.000000\t127.0.0.1:2626\t451 4.3.0 later\n"
      "end\n",
      e);
  CHECK(e.attempts == 2);
  CHECK(e.rcpts[0].status == RecipientStatus::Delivered && e.rcpts[0].success_reported);
  CHECK(e.rcpts[1].delay_reported && e.rcpts[1].last_reply == "451 4.3.0 later");
  // The new state keeps the report flags per recipient.
  e.rcpts[0].relayed = true;
  e.rcpts[0].delay_reported = false;
  QueueEntry again = e;
  again.rcpts[0].relayed = again.rcpts[0].success_reported = again.rcpts[1].delay_reported = false;
  Spool::apply_state(Spool::encode_state(e), again);
  CHECK(again.rcpts[0].relayed && again.rcpts[0].success_reported && again.rcpts[1].delay_reported);
  CHECK(!again.rcpts[0].delay_reported);
}

TEST(spool_on_disk) {
  const fs::path dir = temp_dir("mailroom-spool-test");
  {
    Spool spool(dir);
    QueueEntry e = sample();
    spool.write_new(e);
    e.attempts = 1;
    spool.write_state(e);
    QueueEntry other = sample();
    other.id = "66ABC0002";
    spool.write_new(other);
    spool.remove(other.id);
    mailroom::store::append_durably(dir / "queue" / "BROKEN", "not a queue file");
    mailroom::store::append_durably(dir / "tmp" / "half", "a write a crash cut short");
  }
  Spool again(dir);
  std::size_t corrupt = 0;
  auto entries = again.load(corrupt);
  CHECK(entries.size() == 1 && entries[0].id == "66ABC0001" && entries[0].attempts == 1);
  CHECK(corrupt == 1 && fs::exists(dir / "corrupt" / "BROKEN"));
  CHECK(fs::is_empty(dir / "tmp"));
  fs::remove_all(dir);
}

TEST(failure_recorded_before_a_crash_still_bounces) {
  // The state says the recipient failed but its bounce was not sent yet
  // ("F", not "B"): the restarted queue sends it and drops the entry.
  const fs::path dir = temp_dir("mailroom-spool-bounce");
  {
    Spool spool(dir);
    QueueEntry e = sample();
    e.rcpts.resize(1);
    spool.write_new(e);
    e.attempts = 1;
    e.rcpts[0].status = RecipientStatus::Failed;
    e.rcpts[0].last_code = 550;
    e.rcpts[0].last_reply = "550 5.1.1 no such user";
    spool.write_state(e);
  }
  QueueOptions o;
  o.spool = dir.string();
  OutgoingQueue q(o, std::make_shared<Clock>(true));
  std::vector<std::string> bounces;
  q.set_bounce_sink([&](const std::string& to, std::string msg) { bounces.push_back(to + "|" + msg); });
  q.start();
  q.stop();
  CHECK_EQ(bounces.size(), std::size_t{1});
  CHECK(bounces[0].rfind("alice@a.test|", 0) == 0);
  CHECK(bounces[0].find("Status: 5.1.1") != std::string::npos);
  CHECK_EQ(q.size(), std::size_t{0});
  CHECK(fs::is_empty(dir / "queue"));
  fs::remove_all(dir);
}

TEST(next_hops_and_routes) {
  CHECK(parse_next_hop("mx.example:2525").host == "mx.example");
  CHECK(parse_next_hop("mx.example:2525").port == 2525);
  CHECK(parse_next_hop("mx.example").port == 25);
  CHECK(parse_next_hop("[::1]:26").host == "::1" && parse_next_hop("[::1]:26").port == 26);
  CHECK(parse_next_hop("[::1]:26").text() == "[::1]:26");
  for (const char* bad : {"", ":25", "host:0", "host:65536", "host:x", "[::1", "a b:25", "u@h:25"}) {
    bool threw = false;
    try {
      parse_next_hop(bad);
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    CHECK(threw);
  }
  Routes r({{"B.test", "127.0.0.1:2626"}, {"*", "smarthost:25"}});
  CHECK(r.has_own("b.TEST") && !r.has_own("c.test"));
  CHECK(r.find("c.test")->host == "smarthost");
  Destination d = resolve_destination(r, "b.test");
  CHECK(d.status == Destination::Status::Ok && d.hops.size() == 1 && d.hops[0].port == 2626);
}

TEST(schedule_on_a_manual_clock) {
  // A next hop nobody listens on: every attempt is deferred, then the
  // lifetime runs out and the sender gets a report.
  QueueOptions o;
  o.routes = {{"b.test", "127.0.0.1:1"}};  // tcpmux: nothing serves it on loopback
  o.retry_interval = 600;
  o.max_lifetime = 3600;
  o.max_deliveries = 2;
  o.delivery.connect_timeout = std::chrono::milliseconds(2000);
  auto clock = std::make_shared<Clock>(true);
  const double t0 = clock->now();
  OutgoingQueue q(o, clock);
  std::vector<std::pair<std::string, std::string>> bounces;
  std::vector<QueueEvent> events;
  std::mutex m;
  q.set_bounce_sink([&](const std::string& to, std::string msg) {
    std::lock_guard lock(m);
    bounces.emplace_back(to, std::move(msg));
  });
  q.set_event_hook([&](const QueueEvent& ev) {
    std::lock_guard lock(m);
    events.push_back(ev);
  });
  q.start();
  q.enqueue("alice@a.test", {"bob@b.test"}, std::make_shared<const std::string>("Subject: s\r\n\r\nb\r\n"));
  q.enqueue("", {"bob@b.test"}, std::make_shared<const std::string>("Subject: bounce\r\n\r\nb\r\n"));
  CHECK(q.wait_idle(std::chrono::seconds(10)));
  CHECK(q.size() == 2);
  q.advance(3599);
  CHECK(q.size() == 2);
  q.advance(1);
  CHECK(q.size() == 0);
  q.stop();
  std::lock_guard lock(m);
  CHECK(bounces.size() == 1 && bounces[0].first == "alice@a.test");  // none for <>
  CHECK(bounces[0].second.find("multipart/report") != std::string::npos);
  std::size_t deferred = 0;
  for (const auto& ev : events)
    if (ev.kind == QueueEvent::Kind::Deferred && ev.mail_from == "alice@a.test") {
      CHECK(std::fabs(ev.at - t0 - 600.0 * static_cast<double>(deferred)) < 0.01);
      ++deferred;
    }
  CHECK(deferred == 7);  // 0, 10, ..., 60 minutes
}

TEST(concurrent_enqueue_flush_remove_against_a_real_server) {
  // The next hop is the engine's own SMTP server; four threads queue mail
  // while a fifth lists, flushes and removes. Every message is delivered
  // exactly once or removed, and the queue ends empty. (Run under
  // -fsanitize=thread to check the locking.)
  mailroom::engine::ServerOptions so;
  so.domains = {"b.test"};
  mailroom::engine::Server b(so);
  b.start();
  QueueOptions o;
  o.routes = {{"b.test", "127.0.0.1:" + std::to_string(b.smtp_port())}};
  o.max_per_destination = 3;
  o.max_messages_per_connection = 7;
  auto clock = std::make_shared<Clock>(true);
  OutgoingQueue q(o, clock);
  std::atomic<int> delivered{0}, removed{0};
  q.set_event_hook([&](const QueueEvent& ev) {
    if (ev.kind == QueueEvent::Kind::Delivered) delivered += static_cast<int>(ev.recipients.size());
  });
  q.start();
  constexpr int kThreads = 4, kEach = 60;
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t)
    senders.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string rcpt = "r";
        rcpt.append(std::to_string(i % 5)).append("@b.test");
        std::string data = "Subject: ";
        data.append(std::to_string(t * 1000 + i)).append("\r\n\r\nbody\r\n");
        q.enqueue("a@a.test", {rcpt}, std::make_shared<const std::string>(std::move(data)));
      }
    });
  std::atomic<bool> done{false};
  std::thread meddler([&] {
    while (!done) {
      auto entries = q.entries();
      if (!entries.empty() && entries.size() % 3 == 0 && q.remove(entries.back().id)) ++removed;
      q.flush();
      std::this_thread::yield();
    }
  });
  for (auto& s : senders) s.join();
  CHECK(q.wait_idle(std::chrono::seconds(30)));
  done = true;
  meddler.join();
  CHECK(q.wait_idle(std::chrono::seconds(30)));
  q.stop();
  b.stop();
  CHECK_EQ(q.size(), std::size_t{0});
  // Each entry is either delivered (one event) or removed; a removed one may
  // still have reached B when its delivery was already running.
  CHECK_EQ(delivered.load() + removed.load(), kThreads * kEach);
  const int stored = static_cast<int>(b.store().count());
  CHECK(stored >= delivered.load() && stored <= delivered.load() + removed.load());
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
