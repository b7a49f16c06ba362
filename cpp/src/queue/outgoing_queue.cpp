#include "mailroom/queue/outgoing_queue.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "mailroom/mime/report.hpp"
#include "mailroom/queue/dsn.hpp"
#include "mailroom/text.hpp"

namespace mailroom::queue {

const char* to_string(RecipientStatus s) {
  switch (s) {
    case RecipientStatus::Pending: return "pending";
    case RecipientStatus::Delivered: return "delivered";
    case RecipientStatus::Failed: return "failed";
  }
  return "?";
}

const char* to_string(QueueEvent::Kind k) {
  switch (k) {
    case QueueEvent::Kind::Delivered: return "delivered";
    case QueueEvent::Kind::Deferred: return "deferred";
    case QueueEvent::Kind::Bounced: return "bounced";
    case QueueEvent::Kind::Delayed: return "delayed";
  }
  return "?";
}

namespace {

bool waiting(const QueueEntry& e) {  // pending recipients and no delivery running
  if (e.running > 0 || e.removed) return false;
  return !e.done();
}

}  // namespace

OutgoingQueue::OutgoingQueue(QueueOptions options, std::shared_ptr<Clock> clock)
    : options_(std::move(options)), clock_(std::move(clock)), routes_(options_.routes) {
  if (!clock_) clock_ = std::make_shared<Clock>(false);
  if (!(options_.retry_interval > 0)) throw std::invalid_argument("retry_interval must be positive");
  if (!(options_.max_retry_interval >= options_.retry_interval))
    throw std::invalid_argument("max_retry_interval must be at least retry_interval");
  if (!(options_.max_lifetime > 0)) throw std::invalid_argument("max_queue_lifetime must be positive");
  if (options_.delay_warning < 0) throw std::invalid_argument("delay_warning must not be negative");
  if (options_.max_deliveries == 0 || options_.max_per_destination == 0 ||
      options_.max_messages_per_connection == 0)
    throw std::invalid_argument("delivery limits must be at least 1");
  if (!options_.spool.empty()) spool_ = std::make_unique<Spool>(options_.spool);
}

OutgoingQueue::~OutgoingQueue() { stop(); }

void OutgoingQueue::start() {
  std::unique_lock lock(mutex_);
  if (started_) return;
  std::vector<Bounce> bounces;
  std::vector<QueueEvent> events;
  std::vector<std::string> finished;
  if (spool_ && !loaded_) {
    const double now = clock_->now();
    for (auto& e : spool_->load(corrupt_)) {
      bytes_ += e.data ? e.data->size() : 0;
      // A restarted server tries what waits at once, then keeps the schedule.
      e.next_attempt = std::min(e.next_attempt, now);
      std::string id = e.id;
      entries_.emplace(std::move(id), std::move(e));
    }
    loaded_ = true;
    // Entries whose last round ended just before a crash: their failures
    // still owe a bounce, then they go.
    for (auto& [id, e] : entries_)
      if (e.done()) {
        settle_locked(e, events, bounces);
        finished.push_back(id);
      }
  }
  stopping_ = false;
  started_ = true;
  scheduler_ = std::thread([this] { scheduler_loop(); });
  for (unsigned i = 0; i < options_.max_deliveries; ++i) workers_.emplace_back([this] { worker_loop(); });
  lock.unlock();
  if (!finished.empty()) {
    commit(bounces, finished);
    emit(events);
  }
}

void OutgoingQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!started_) return;
    stopping_ = true;
    // Jobs not begun go back to waiting; running ones finish and are recorded.
    for (const Job& job : jobs_) {
      for (const auto& item : job.items) {
        auto it = entries_.find(item.id);
        if (it == entries_.end()) continue;
        for (auto i : item.rcpt_index) it->second.rcpts[i].busy = false;
        --it->second.running;
      }
      --per_domain_[job.domain];
    }
    jobs_.clear();
  }
  wake_.notify_all();
  work_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  for (auto& t : workers_) t.join();
  workers_.clear();
  std::lock_guard lock(mutex_);
  started_ = false;
  idle_.notify_all();
}

std::string OutgoingQueue::new_id() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::lock_guard lock(mutex_);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%013llX%04llX", static_cast<unsigned long long>(us),
                static_cast<unsigned long long>(next_id_++ & 0xffff));
  return buf;
}

std::string OutgoingQueue::enqueue(const std::string& mail_from, const std::vector<std::string>& rcpts,
                                   std::shared_ptr<const std::string> data, std::string id,
                                   const smtp::MessageDsn& dsn,
                                   const std::vector<smtp::RecipientDsn>& rcpt_dsn) {
  if (rcpts.empty()) throw std::invalid_argument("a queue entry needs recipients");
  if (!rcpt_dsn.empty() && rcpt_dsn.size() != rcpts.size())
    throw std::invalid_argument("rcpt_dsn needs one entry per recipient");
  QueueEntry e;
  e.id = id.empty() ? new_id() : std::move(id);
  e.mail_from = mail_from;
  e.dsn = dsn;
  for (std::size_t i = 0; i < rcpts.size(); ++i) {
    QueueRecipient r{rcpts[i]};
    if (!rcpt_dsn.empty()) r.dsn = rcpt_dsn[i];
    e.rcpts.push_back(std::move(r));
  }
  e.data = std::move(data);
  e.arrived_at = e.next_attempt = clock_->now();
  const std::uint64_t size = e.data ? e.data->size() : 0;
  std::string result = e.id;
  {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= options_.max_entries || bytes_ + size > options_.max_bytes)
      throw QueueFull("the queue is full");
  }
  // RFC 5321 §6.1: on stable storage before the 250 that this return leads to.
  if (spool_) spool_->write_new(e);
  {
    std::lock_guard lock(mutex_);
    bytes_ += size;
    std::string key = e.id;
    entries_.emplace(std::move(key), std::move(e));
    dispatch_locked();
  }
  wake_.notify_one();
  return result;
}

std::vector<QueueEntry> OutgoingQueue::entries() const {
  std::lock_guard lock(mutex_);
  std::vector<QueueEntry> out;
  out.reserve(entries_.size());
  for (const auto& [id, e] : entries_)
    if (!e.removed) out.push_back(e);
  std::sort(out.begin(), out.end(), [](const QueueEntry& a, const QueueEntry& b) {
    return a.arrived_at < b.arrived_at || (a.arrived_at == b.arrived_at && a.id < b.id);
  });
  return out;
}

std::size_t OutgoingQueue::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

bool OutgoingQueue::remove(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    // A finished entry is on its way out (its events are being sent).
    if (it == entries_.end() || it->second.removed || it->second.done()) return false;
    if (it->second.running > 0) {
      it->second.removed = true;  // finish_job drops it
      return true;
    }
    bytes_ -= it->second.data ? it->second.data->size() : 0;
    entries_.erase(it);
  }
  if (spool_) spool_->remove(id);
  idle_.notify_all();
  return true;
}

void OutgoingQueue::flush() {
  {
    std::lock_guard lock(mutex_);
    const double now = clock_->now();
    for (auto& [id, e] : entries_)
      if (waiting(e)) e.next_attempt = std::min(e.next_attempt, now);
    dispatch_locked();
  }
  wake_.notify_one();
}

std::optional<double> OutgoingQueue::next_attempt_locked() const {
  std::optional<double> next;
  for (const auto& [id, e] : entries_)
    if (waiting(e) && (!next || e.next_attempt < *next)) next = e.next_attempt;
  return next;
}

bool OutgoingQueue::idle_locked() const {
  if (!started_) return true;
  if (!jobs_.empty() || running_ > 0) return false;
  const double now = clock_->now();
  for (const auto& [id, e] : entries_)
    if (waiting(e) && e.next_attempt <= now) return false;
  return true;
}

bool OutgoingQueue::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return idle_locked(); });
}

void OutgoingQueue::advance(double seconds, std::chrono::milliseconds step_timeout) {
  if (!clock_->manual()) throw std::logic_error("advance() needs a manual clock (clock=\"manual\")");
  if (!(seconds >= 0)) throw std::invalid_argument("advance() takes a non-negative number of seconds");
  const double target = clock_->now() + seconds;
  while (true) {
    if (!wait_idle(step_timeout)) throw std::runtime_error("the queue's deliveries did not finish in time");
    std::unique_lock lock(mutex_);
    const std::optional<double> next = next_attempt_locked();
    if (!next || *next > target || !started_) {
      clock_->set(target);
      dispatch_locked();
      lock.unlock();
      if (!wait_idle(step_timeout)) throw std::runtime_error("the queue's deliveries did not finish in time");
      return;
    }
    clock_->set(*next);
    dispatch_locked();
  }
}

void OutgoingQueue::dispatch_locked() {
  if (!started_ || stopping_) return;
  const double now = clock_->now();
  bool added = false;
  // Oldest first, so a busy destination serves messages in arrival order.
  std::vector<QueueEntry*> due;
  for (auto& [id, e] : entries_)
    if (waiting(e) && e.next_attempt <= now) due.push_back(&e);
  std::sort(due.begin(), due.end(), [](const QueueEntry* a, const QueueEntry* b) {
    return a->arrived_at < b->arrived_at;
  });
  for (QueueEntry* e : due) {
    // Recipients by destination domain: one delivery per next hop.
    std::map<std::string, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < e->rcpts.size(); ++i)
      if (e->rcpts[i].status == RecipientStatus::Pending) groups[address_domain(e->rcpts[i].address)].push_back(i);
    // Each group joins a job not begun for its domain, or starts one if the
    // destination's cap allows; the entry waits unless all groups can go.
    std::vector<Job*> targets;
    std::map<std::string, unsigned> new_jobs;
    bool fits = true;
    for (const auto& [domain, idx] : groups) {
      // A new connection while the cap allows (parallel deliveries), else
      // the last job not begun for the domain (several messages per connection).
      Job* job = nullptr;
      if (per_domain_[domain] + new_jobs[domain] < options_.max_per_destination) {
        ++new_jobs[domain];
      } else {
        for (auto it = jobs_.rbegin(); it != jobs_.rend() && !job; ++it)
          if (it->domain == domain && it->items.size() < options_.max_messages_per_connection) job = &*it;
        if (!job) {
          fits = false;
          break;
        }
      }
      targets.push_back(job);
    }
    if (!fits) continue;
    std::size_t g = 0;
    for (const auto& [domain, idx] : groups) {
      Job* job = targets[g++];
      if (!job) {
        jobs_.push_back(Job{domain, {}});
        ++per_domain_[domain];
        job = &jobs_.back();
      }
      DeliveryItem item{e->id, e->mail_from, {}, idx, e->data, e->dsn, {}};
      for (auto i : idx) {
        item.rcpts.push_back(e->rcpts[i].address);
        item.rcpt_dsn.push_back(e->rcpts[i].dsn);
        e->rcpts[i].busy = true;
      }
      job->items.push_back(std::move(item));
      ++e->running;
      added = true;
    }
  }
  if (added) work_.notify_all();
}

void OutgoingQueue::scheduler_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    dispatch_locked();
    if (clock_->manual()) {
      wake_.wait(lock);
      continue;
    }
    const std::optional<double> next = next_attempt_locked();
    // Wake at the next due attempt (at least once a minute, for clock changes).
    double wait = next ? std::clamp(*next - clock_->now(), 0.001, 60.0) : 60.0;
    wake_.wait_for(lock, std::chrono::duration<double>(wait));
  }
}

void OutgoingQueue::worker_loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    work_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    ++running_;
    lock.unlock();
    std::vector<std::vector<RecipientOutcome>> results;
    try {
      results = deliver(resolve_destination(routes_, job.domain), job.items, options_.delivery,
                        [&](std::size_t i, const std::vector<RecipientOutcome>& outcomes) {
                          record_delivered(job.items[i], outcomes);
                        });
    } catch (const std::exception& e) {  // resolver trouble, out of memory: later
      results.clear();
      for (const auto& item : job.items)
        results.emplace_back(item.rcpts.size(), RecipientOutcome{0, e.what(), ""});
    }
    finish_job(job, results);
    lock.lock();
    --running_;
    --per_domain_[job.domain];
    dispatch_locked();
    idle_.notify_all();
  }
}

double OutgoingQueue::retry_delay(int attempts) const {
  if (!options_.retry_backoff) return options_.retry_interval;
  const double d = options_.retry_interval * std::pow(2.0, std::max(0, attempts - 1));
  return std::min(d, options_.max_retry_interval);
}

void OutgoingQueue::record_delivered(const DeliveryItem& item,
                                     const std::vector<RecipientOutcome>& outcomes) {
  if (!spool_) return;
  QueueEntry snapshot;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(item.id);
    if (it == entries_.end() || it->second.removed) return;
    snapshot = it->second;
  }
  bool any = false;
  for (std::size_t k = 0; k < item.rcpt_index.size() && k < outcomes.size(); ++k) {
    if (!outcomes[k].delivered()) continue;  // failures and deferrals: at the job's end
    QueueRecipient& r = snapshot.rcpts[item.rcpt_index[k]];
    r.status = RecipientStatus::Delivered;
    r.last_code = outcomes[k].code;
    r.last_reply = outcomes[k].reply;
    r.remote_host = outcomes[k].host;
    // As finish_job records it (RFC 3461 §5.2.2), so a restart reports alike.
    r.relayed = outcomes[k].without_dsn;
    r.success_reported =
        !smtp::wants_report(r.dsn.notify, smtp::ReportAction::Relayed) || !r.relayed;
    any = true;
  }
  if (!any) return;
  try {
    spool_->write_state_now(snapshot);
  } catch (const std::exception&) {
    // Not recorded early: the job's end records it, as before.
  }
}

void OutgoingQueue::finish_job(const Job& job, const std::vector<std::vector<RecipientOutcome>>& results) {
  std::vector<QueueEvent> events;
  std::vector<Bounce> bounces;
  std::vector<std::string> touched;
  {
    std::lock_guard lock(mutex_);
    const double now = clock_->now();
    for (std::size_t i = 0; i < job.items.size(); ++i) {
      const DeliveryItem& item = job.items[i];
      auto it = entries_.find(item.id);
      if (it == entries_.end()) continue;
      QueueEntry& e = it->second;
      QueueEvent delivered{QueueEvent::Kind::Delivered, e.id, e.mail_from};
      QueueEvent deferred{QueueEvent::Kind::Deferred, e.id, e.mail_from};
      for (std::size_t k = 0; k < item.rcpt_index.size(); ++k) {
        QueueRecipient& r = e.rcpts[item.rcpt_index[k]];
        r.busy = false;
        if (e.removed) continue;
        const RecipientOutcome& o = k < results[i].size() ? results[i][k] : RecipientOutcome{};
        ++r.attempts;
        r.last_attempt = now;
        r.last_code = o.code;
        r.last_reply = o.reply;
        r.remote_host = o.host;
        e.last_reply = o.reply;
        QueueEvent& ev = o.delivered() ? delivered : deferred;
        if (o.delivered()) {
          r.status = RecipientStatus::Delivered;
          // RFC 3461 §5.2.2: the next hop cannot report success; we say "relayed".
          r.relayed = o.without_dsn;
          r.success_reported = !smtp::wants_report(r.dsn.notify, smtp::ReportAction::Relayed) || !r.relayed;
        } else if (o.failed()) {
          r.status = RecipientStatus::Failed;  // reported by settle_locked
          continue;
        }
        ev.recipients.push_back(r.address);
        ev.notify.push_back(r.dsn.notify);
        ev.code = o.code;
        ev.reply = o.reply;
        ev.remote_host = o.host;
      }
      for (QueueEvent* ev : {&delivered, &deferred}) {
        if (ev->recipients.empty()) continue;
        ev->at = now;
        ev->attempt = e.attempts + 1;
        events.push_back(std::move(*ev));
      }
      if (--e.running == 0) {
        if (!e.removed) settle_locked(e, events, bounces);
        touched.push_back(e.id);
      }
    }
  }
  commit(bounces, touched);
  emit(events);
}

void OutgoingQueue::settle_locked(QueueEntry& e, std::vector<QueueEvent>& events,
                                  std::vector<Bounce>& bounces) {
  const double now = clock_->now();
  ++e.attempts;
  // RFC 5321 §4.5.4.1: give up after the lifetime; what is left bounces.
  if (!e.done() && now - e.arrived_at >= options_.max_lifetime) {
    for (auto& r : e.rcpts) {
      if (r.status != RecipientStatus::Pending) continue;
      r.status = RecipientStatus::Failed;
      r.expired = true;
    }
  }
  // One report per action per round, covering every recipient it concerns
  // (RFC 3461 §5.2.8) that asked for it (§4.1); never one for the null
  // sender (RFC 3461 §6.2, RFC 5321 §6.1) or for a message that is itself a
  // report, so no report answers a report.
  auto report = [&](const std::vector<std::size_t>& idx, smtp::ReportAction action) {
    std::vector<std::size_t> wanted;
    for (auto i : idx)
      if (smtp::wants_report(e.rcpts[i].dsn.notify, action)) wanted.push_back(i);
    if (!wanted.empty() && !e.mail_from.empty() && !(e.data && mime::report::is_report(*e.data)))
      bounces.push_back(Bounce{e.mail_from, make_report(e, wanted, action)});
  };
  auto event = [&](QueueEvent::Kind kind, const std::vector<std::size_t>& idx) {
    QueueEvent ev{kind, e.id, e.mail_from};
    for (auto i : idx) {
      const QueueRecipient& r = e.rcpts[i];
      ev.recipients.push_back(r.address);
      ev.notify.push_back(r.dsn.notify);
      if (kind == QueueEvent::Kind::Bounced) {
        ev.code = r.last_code;
        ev.reply = r.last_reply;
        ev.remote_host = r.remote_host;
      }
    }
    ev.at = now;
    ev.attempt = e.attempts;
    events.push_back(std::move(ev));
  };
  std::vector<std::size_t> failed, relayed;
  for (std::size_t i = 0; i < e.rcpts.size(); ++i) {
    QueueRecipient& r = e.rcpts[i];
    if (r.status == RecipientStatus::Failed && !r.reported) failed.push_back(i);
    if (r.status == RecipientStatus::Delivered && !r.success_reported) relayed.push_back(i);
  }
  if (!relayed.empty()) {
    report(relayed, smtp::ReportAction::Relayed);
    for (auto i : relayed) e.rcpts[i].success_reported = true;
  }
  if (!failed.empty()) {
    report(failed, smtp::ReportAction::Failed);
    for (auto i : failed) e.rcpts[i].reported = true;
    event(QueueEvent::Kind::Bounced, failed);
  }
  if (e.done()) return;
  if (options_.delay_warning > 0 && now - e.arrived_at >= options_.delay_warning) {
    // Once per recipient (RFC 3461 §5.2.5), each of which may ask for it or
    // not (§4.1).
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < e.rcpts.size(); ++i) {
      QueueRecipient& r = e.rcpts[i];
      if (r.status != RecipientStatus::Pending || r.delay_reported) continue;
      r.delay_reported = true;
      pending.push_back(i);
    }
    if (!pending.empty()) {
      report(pending, smtp::ReportAction::Delayed);
      event(QueueEvent::Kind::Delayed, pending);
    }
  }
  // The last try falls on the end of the lifetime, so the bounce is on time.
  e.next_attempt = std::min(now + retry_delay(e.attempts), e.arrived_at + options_.max_lifetime);
}

std::string OutgoingQueue::make_report(const QueueEntry& e, const std::vector<std::size_t>& rcpts,
                                       smtp::ReportAction action) const {
  const bool delayed = action == smtp::ReportAction::Delayed;
  DsnReport report;
  report.reporting_mta = options_.hostname;
  report.original_sender = e.mail_from;
  report.queue_id = e.id;
  report.arrival_date = e.arrived_at;
  report.now = clock_->now();
  report.original = e.data ? std::string_view(*e.data) : std::string_view();
  report.return_full = e.dsn.ret == "FULL";
  report.has_envelope_id = e.dsn.has_envid;
  report.envelope_id = e.dsn.envid;
  for (auto i : rcpts) {
    const QueueRecipient& r = e.rcpts[i];
    DsnRecipient d;
    d.address = r.address;
    d.action = smtp::to_string(action);
    d.original_type = r.dsn.orcpt_type;
    d.original_recipient = r.dsn.orcpt;
    // RFC 3463: X.4.7 delivery time expired; X.4.1 no answer from the host.
    if (action == smtp::ReportAction::Relayed)
      d.status = "2.0.0";
    else if (r.expired)
      d.status = r.last_code >= 400 ? "4.4.7" : "4.4.1";
    else if (r.last_code == 0)
      d.status = "4.4.1";
    d.diagnostic = r.last_reply;
    auto colon = r.remote_host.rfind(':');
    d.remote_mta = colon == std::string::npos ? r.remote_host : r.remote_host.substr(0, colon);
    if (!d.remote_mta.empty() && d.remote_mta.front() == '[') d.remote_mta = d.remote_mta.substr(1, d.remote_mta.size() - 2);
    d.last_attempt = r.last_attempt;
    if (delayed) d.will_retry_until = e.arrived_at + options_.max_lifetime;
    report.recipients.push_back(std::move(d));
  }
  return build_dsn(report);
}

void OutgoingQueue::commit(std::vector<Bounce>& bounces, const std::vector<std::string>& touched) {
  // Bounces first: once the original is gone from the spool its bounce must
  // already be in the queue or a mailbox.
  std::shared_ptr<BounceSink> sink;
  {
    std::lock_guard lock(hook_mutex_);
    sink = bounce_sink_;
  }
  for (auto& b : bounces) {
    try {
      if (sink)
        (*sink)(b.recipient, std::move(b.message));
      else
        enqueue("", {b.recipient}, std::make_shared<const std::string>(std::move(b.message)));
    } catch (const std::exception&) {
      // The queue or the store is full or the disk failed: the report is
      // lost, the original's state is kept as it is.
    }
  }
  for (const auto& id : touched) {
    QueueEntry snapshot;
    bool finished = false;
    {
      std::lock_guard lock(mutex_);
      auto it = entries_.find(id);
      if (it == entries_.end()) continue;
      finished = it->second.removed || it->second.done();
      if (!finished && spool_) snapshot = it->second;
    }
    if (spool_) {
      try {
        if (finished)
          spool_->remove(id);
        else
          spool_->write_state(snapshot);
      } catch (const std::exception&) {
        // State not recorded: after a crash this round is tried again.
      }
    }
    if (finished) {
      std::lock_guard lock(mutex_);
      auto it = entries_.find(id);
      if (it != entries_.end() && it->second.running == 0) {
        bytes_ -= it->second.data ? it->second.data->size() : 0;
        entries_.erase(it);
      }
    }
  }
}

void OutgoingQueue::set_event_hook(EventHook hook) {
  std::lock_guard lock(hook_mutex_);
  hook_ = hook ? std::make_shared<EventHook>(std::move(hook)) : nullptr;
}

void OutgoingQueue::set_bounce_sink(BounceSink sink) {
  std::lock_guard lock(hook_mutex_);
  bounce_sink_ = sink ? std::make_shared<BounceSink>(std::move(sink)) : nullptr;
}

void OutgoingQueue::emit(const std::vector<QueueEvent>& events) {
  if (events.empty()) return;
  std::shared_ptr<EventHook> hook;
  {
    std::lock_guard lock(hook_mutex_);
    hook = hook_;
  }
  if (!hook) return;
  for (const auto& ev : events) {
    try {
      (*hook)(ev);
    } catch (...) {  // a hook's trouble is the hook's (Python reports it)
    }
  }
}

}  // namespace mailroom::queue
