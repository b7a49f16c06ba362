// One message in the outgoing queue, with the state of each recipient.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mailroom/smtp/dsn_parameters.hpp"

namespace mailroom::queue {

enum class RecipientStatus {
  Pending,    // not tried yet, or deferred (4yz, no connection): tried again later
  Delivered,  // the next hop answered 2yz
  Failed,     // 5yz, or the queue lifetime ran out: in the bounce
};
const char* to_string(RecipientStatus s);

struct QueueRecipient {
  std::string address;
  RecipientStatus status = RecipientStatus::Pending;
  int attempts = 0;
  int last_code = 0;          // 0: no reply (connection failure, not tried)
  std::string last_reply;     // "451 4.3.0 Try again later" or why no reply came
  std::string remote_host;    // the next hop that answered last ("host:port")
  double last_attempt = 0;
  bool reported = false;      // Failed and already in a bounce (or none is due)
  bool expired = false;       // Failed because the queue lifetime ran out
  bool busy = false;          // a delivery of it is running
  smtp::RecipientDsn dsn;     // NOTIFY and ORCPT it came with (RFC 3461)
  bool delay_reported = false;  // a "delayed" report covered it (or none is due)
  bool relayed = false;       // delivered to a next hop that does not offer DSN
  bool success_reported = false;  // its "relayed" report is out (or none is due)
};

struct QueueEntry {
  std::string id;
  std::string mail_from;  // "" for the null sender (bounces)
  std::vector<QueueRecipient> rcpts;
  std::shared_ptr<const std::string> data;  // with our Received line
  double arrived_at = 0;
  double next_attempt = 0;
  int attempts = 0;        // finished delivery rounds
  int running = 0;         // deliveries of this entry now running
  smtp::MessageDsn dsn;    // RET and ENVID it came with (RFC 3461)
  bool removed = false;    // remove() while a delivery ran: dropped when it ends
  std::string last_reply;  // of the last recipient that got one

  bool done() const {
    for (const auto& r : rcpts)
      if (r.status == RecipientStatus::Pending) return false;
    return true;
  }
};

// Something that happened to an entry, for the Python hooks.
struct QueueEvent {
  enum class Kind { Delivered, Deferred, Bounced, Delayed } kind = Kind::Delivered;
  std::string id;
  std::string mail_from;
  std::vector<std::string> recipients;
  std::vector<unsigned> notify;  // each recipient's NOTIFY bits (0: not given)
  int code = 0;
  std::string reply;
  std::string remote_host;
  double at = 0;
  int attempt = 0;
};
const char* to_string(QueueEvent::Kind k);

}  // namespace mailroom::queue
