// NOTIFY (RFC 5465): what a session asked to hear of (the event groups of
// NOTIFY SET), the changes in an account's mailboxes that may concern it,
// and the bounded queue that holds them until the session can tell its
// client. No I/O; the session (notify.cpp) turns them into untagged
// responses, the server (engine/imap_sessions.cpp) fills the queue from its
// event bus.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/store/store_change.hpp"

namespace mailroom::imap {

// A change in one of an account's mailboxes, as NOTIFY names them (RFC 5465
// §5): a message came or went, flags changed, a mailbox was made, deleted or
// renamed, a subscription changed.
struct MailboxChange {
  enum class Kind {
    MessageNew,
    MessageExpunge,
    FlagChange,
    Created,
    Deleted,
    Renamed,
    Subscribed,
    Unsubscribed
  };
  Kind kind = Kind::MessageNew;
  std::string folder;    // Renamed: the new name
  std::string old_name;  // Renamed: the old name
};

// The MailboxChange of a store change.
MailboxChange mailbox_change(const store::StoreChange& change);

// The changes waiting for one session, oldest first. Bounded: past `limit`
// they are dropped and the queue says it overflowed (the session then sends
// [NOTIFICATIONOVERFLOW] and stops, RFC 5465 §5.8). Not thread-safe.
class PendingNotifications {
 public:
  // 0: off (nothing is kept). Changing it drops what was kept.
  void set_limit(std::size_t limit);
  bool on() const { return limit_ > 0; }
  // Queues `change` (when on); true when the queue was empty before or
  // overflowed just now: the session should be woken.
  bool push(MailboxChange change);
  // Everything queued, and whether some were lost since the last take.
  std::vector<MailboxChange> take(bool& overflowed);

 private:
  std::deque<MailboxChange> queue_;
  std::size_t limit_ = 0;
  bool overflowed_ = false;
};

// The events of one event group (RFC 5465 §5).
struct NotifyEvents {
  bool message_new = false;  // with MessageExpunge (§5.2, §5.3: both or neither)
  bool flag_change = false;
  bool mailbox_name = false;
  bool subscription_change = false;
  std::string fetch_attributes;  // MessageNew's "(...)" as written; selected only
  bool none() const { return !message_new && !mailbox_name && !subscription_change; }
};

// One "(filter events)" of NOTIFY SET (RFC 5465 §6).
struct NotifyGroup {
  enum class Filter { Selected, SelectedDelayed, Inboxes, Personal, Subscribed, Subtree, Mailboxes };
  Filter filter = Filter::Selected;
  std::vector<std::string> mailboxes;  // Subtree, Mailboxes (store names)
  NotifyEvents events;
};

struct NotifySpec {
  std::vector<NotifyGroup> groups;

  // The SELECTED or SELECTED-DELAYED group, when there is one.
  const NotifyGroup* selected() const;
  // The events asked for a mailbox other than the selected one: those of
  // the first group whose filter takes it; null when none does.
  // `subscribed`: the account's subscriptions (for SUBSCRIBED).
  const NotifyEvents* events_for(std::string_view mailbox,
                                 const std::set<std::string>& subscribed) const;
  bool uses_subscriptions() const;
};

}  // namespace mailroom::imap
