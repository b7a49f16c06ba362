// The outgoing queue: entries with per-recipient state, a scheduler that
// hands due work to delivery threads (one job per destination, several
// messages per connection, capped per destination and in total), the retry
// schedule, give-up after the lifetime (RFC 5321 §4.5.4.1), and bounces
// (RFC 3464) for what failed. With a spool the queue survives restarts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mailroom/queue/clock.hpp"
#include "mailroom/queue/delivery.hpp"
#include "mailroom/queue/entry.hpp"
#include "mailroom/queue/spool.hpp"

namespace mailroom::queue {

struct QueueOptions {
  std::string spool;  // directory; empty: the queue lives in memory
  std::map<std::string, std::string> routes;  // domain (or "*") -> "host:port"
  // Retry schedule: every `retry_interval` seconds; with `retry_backoff` the
  // interval doubles after each attempt up to `max_retry_interval`.
  double retry_interval = 1800;
  bool retry_backoff = false;
  double max_retry_interval = 4 * 3600;
  double max_lifetime = 5 * 86400;  // then the remaining recipients bounce
  // Seconds; then one "delayed" report per recipient that did not ask
  // otherwise (NOTIFY without DELAY, RFC 3461 §4.1); 0: none.
  double delay_warning = 0;
  unsigned max_deliveries = 16;     // delivery threads (connections in total)
  unsigned max_per_destination = 4; // concurrent connections to one domain
  std::size_t max_messages_per_connection = 100;
  std::size_t max_entries = 100'000;      // past these: 452 4.3.1 at accept
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
  std::string hostname = "localhost";     // EHLO name, Reporting-MTA
  DeliverySettings delivery;
};

// The queue is full: the message is not taken (452 4.3.1).
class QueueFull : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class OutgoingQueue {
 public:
  using EventHook = std::function<void(const QueueEvent&)>;
  // Takes a bounce (a complete message from the null sender) for `recipient`:
  // local delivery or the queue. Throws when it cannot; retried next round.
  using BounceSink = std::function<void(const std::string& recipient, std::string message)>;

  // Throws std::invalid_argument for bad routes or settings.
  OutgoingQueue(QueueOptions options, std::shared_ptr<Clock> clock);
  ~OutgoingQueue();
  OutgoingQueue(const OutgoingQueue&) = delete;
  OutgoingQueue& operator=(const OutgoingQueue&) = delete;

  // Loads the spool (the first time) and starts the threads; restartable.
  void start();
  // Lets running deliveries finish (their state is recorded), joins.
  void stop();

  // Queues a message; on stable storage (with a spool) when it returns.
  // Throws QueueFull, or std::runtime_error when the spool cannot be written.
  // `id` from new_id(), or empty for a fresh one. `dsn` and `rcpt_dsn` (empty,
  // or one per recipient) are the RFC 3461 parameters the message came with.
  std::string enqueue(const std::string& mail_from, const std::vector<std::string>& rcpts,
                      std::shared_ptr<const std::string> data, std::string id = "",
                      const smtp::MessageDsn& dsn = {},
                      const std::vector<smtp::RecipientDsn>& rcpt_dsn = {});
  // A fresh queue id (also used in the Received line before enqueue).
  std::string new_id();

  std::vector<QueueEntry> entries() const;
  std::size_t size() const;
  bool remove(const std::string& id);
  // Every pending entry becomes due now.
  void flush();
  // Until nothing is due or running; false on timeout.
  bool wait_idle(std::chrono::milliseconds timeout);
  // Manual clock: moves time forward by `seconds`, stopping at each due
  // attempt on the way and waiting for it. Throws std::logic_error on a real clock.
  void advance(double seconds, std::chrono::milliseconds step_timeout = std::chrono::minutes(5));

  void set_event_hook(EventHook hook);
  void set_bounce_sink(BounceSink sink);
  const Clock& clock() const { return *clock_; }
  const Routes& routes() const { return routes_; }
  const QueueOptions& options() const { return options_; }
  std::size_t corrupt_files() const { return corrupt_; }

 private:
  struct Job {
    std::string domain;
    std::vector<DeliveryItem> items;
  };
  void scheduler_loop();
  void worker_loop();
  void dispatch_locked();
  bool idle_locked() const;
  // The earliest next attempt of an entry waiting for one.
  std::optional<double> next_attempt_locked() const;
  void finish_job(const Job& job, const std::vector<std::vector<RecipientOutcome>>& results);
  // Writes to the spool, as soon as a message's reply comes, which of its
  // recipients the next hop took, so a crash later in the same connection
  // does not send it again (the job's end records the rest, fsync'd).
  void record_delivered(const DeliveryItem& item, const std::vector<RecipientOutcome>& outcomes);
  // After a round: bounces, next attempt, removal. Lock held; appends events.
  struct Bounce {
    std::string recipient;
    std::string message;
  };
  void settle_locked(QueueEntry& e, std::vector<QueueEvent>& events, std::vector<Bounce>& bounces);
  // Bounces out, then the spool brought up to date, then finished entries dropped.
  void commit(std::vector<Bounce>& bounces, const std::vector<std::string>& touched);
  double retry_delay(int attempts) const;
  std::string make_report(const QueueEntry& e, const std::vector<std::size_t>& rcpts,
                          smtp::ReportAction action) const;
  void emit(const std::vector<QueueEvent>& events);

  QueueOptions options_;
  std::shared_ptr<Clock> clock_;
  Routes routes_;
  std::unique_ptr<Spool> spool_;
  bool loaded_ = false;
  std::size_t corrupt_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable wake_;   // scheduler
  std::condition_variable work_;   // workers
  std::condition_variable idle_;   // wait_idle
  std::map<std::string, QueueEntry> entries_;
  std::uint64_t bytes_ = 0;
  std::deque<Job> jobs_;
  std::map<std::string, unsigned> per_domain_;  // jobs queued or running
  unsigned running_ = 0;
  bool stopping_ = false;
  bool started_ = false;
  std::thread scheduler_;
  std::vector<std::thread> workers_;
  std::uint64_t next_id_ = 0;

  std::mutex hook_mutex_;
  std::shared_ptr<EventHook> hook_;
  std::shared_ptr<BounceSink> bounce_sink_;
};

}  // namespace mailroom::queue
