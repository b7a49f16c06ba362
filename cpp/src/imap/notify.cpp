// NOTIFY (RFC 5465): NOTIFY SET / NOTIFY NONE, the event groups and their
// filters, and the untagged responses the session sends for what changed:
// STATUS for other mailboxes' messages (§5.2, §5.3, §5.1), LIST for
// mailboxes made, renamed or deleted (§5.4) and for subscriptions (§5.5),
// EXISTS, FETCH and EXPUNGE for the selected one (§6.1) under the rules of
// RFC 9051 §7.5.1; and the bounded queue of changes behind them.
#include <algorithm>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/notify.hpp"
#include "mailroom/imap/server_session.hpp"
#include "mailroom/store/mail_store.hpp"

namespace mailroom::imap {

// ------------------------------------------------------ changes, queue ----

MailboxChange mailbox_change(const store::StoreChange& c) {
  using K = store::StoreChange::Kind;
  using M = MailboxChange::Kind;
  MailboxChange m;
  m.folder = c.folder;
  switch (c.kind) {
    case K::Appended: m.kind = M::MessageNew; break;
    case K::Expunged: m.kind = M::MessageExpunge; break;
    case K::FlagsChanged: m.kind = M::FlagChange; break;
    case K::FolderCreated: m.kind = M::Created; break;
    case K::FolderDeleted: m.kind = M::Deleted; break;
    case K::FolderRenamed:
      m.kind = M::Renamed;
      m.old_name = c.old_name;
      break;
  }
  return m;
}

void PendingNotifications::set_limit(std::size_t limit) {
  limit_ = limit;
  queue_.clear();
  overflowed_ = false;
}

bool PendingNotifications::push(MailboxChange change) {
  if (limit_ == 0 || overflowed_) return false;
  if (queue_.size() >= limit_) {
    queue_.clear();
    overflowed_ = true;
    return true;
  }
  // A message change repeats what the one before it said about the same
  // mailbox (one STATUS answers both): kept once, so that a burst of
  // deliveries to one folder fills no queue.
  if (change.kind <= MailboxChange::Kind::FlagChange && !queue_.empty() &&
      queue_.back().kind == change.kind && queue_.back().folder == change.folder)
    return false;
  const bool was_empty = queue_.empty();
  queue_.push_back(std::move(change));
  return was_empty;
}

std::vector<MailboxChange> PendingNotifications::take(bool& overflowed) {
  overflowed = overflowed_;
  overflowed_ = false;
  std::vector<MailboxChange> out(std::make_move_iterator(queue_.begin()),
                                 std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

// ------------------------------------------------------------- filters ----

namespace {

bool in_subtree(std::string_view name, std::string_view root) {
  return name == root || (name.size() > root.size() && name.compare(0, root.size(), root) == 0 &&
                          name[root.size()] == store::kFolderSeparator);
}

}  // namespace

const NotifyGroup* NotifySpec::selected() const {
  for (const auto& g : groups)
    if (g.filter == NotifyGroup::Filter::Selected || g.filter == NotifyGroup::Filter::SelectedDelayed)
      return &g;
  return nullptr;
}

const NotifyEvents* NotifySpec::events_for(std::string_view mailbox,
                                           const std::set<std::string>& subscribed) const {
  using F = NotifyGroup::Filter;
  for (const auto& g : groups) {
    bool takes = false;
    switch (g.filter) {
      case F::Selected:
      case F::SelectedDelayed: break;
      // RFC 5465 §6.2: every mailbox of the user's own (this server has one
      // namespace); §6.3: where new mail is delivered (INBOX alone here).
      case F::Personal: takes = true; break;
      case F::Inboxes: takes = mailbox == "INBOX"; break;
      case F::Subscribed: takes = subscribed.count(std::string(mailbox)) > 0; break;
      case F::Subtree:
        takes = std::any_of(g.mailboxes.begin(), g.mailboxes.end(),
                            [&](const std::string& m) { return in_subtree(mailbox, m); });
        break;
      case F::Mailboxes:
        takes = std::find(g.mailboxes.begin(), g.mailboxes.end(), mailbox) != g.mailboxes.end();
        break;
    }
    if (takes) return &g.events;
  }
  return nullptr;
}

bool NotifySpec::uses_subscriptions() const {
  return std::any_of(groups.begin(), groups.end(),
                     [](const NotifyGroup& g) { return g.filter == NotifyGroup::Filter::Subscribed; });
}

// ------------------------------------------------------------- command ----

namespace {

constexpr std::size_t kMaxNotifyGroups = 50;
constexpr std::size_t kMaxNotifyMailboxes = 1000;

// RFC 5465 §3.1: BADEVENT lists the events the server can tell of.
constexpr const char* kBadEvent =
    "[BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)] "
    "Event not supported";

std::string upper_word(std::string s) {
  for (char& c : s) c = ascii_upper(c);
  return s;
}

}  // namespace

NotifyGroup ServerSession::read_notify_group(Arguments& a, bool& bad_event) {
  using F = NotifyGroup::Filter;
  NotifyGroup g;
  a.expect('(');
  const std::string filter = upper_word(a.atom());
  if (filter == "SELECTED") g.filter = F::Selected;
  else if (filter == "SELECTED-DELAYED") g.filter = F::SelectedDelayed;
  else if (filter == "INBOXES") g.filter = F::Inboxes;
  else if (filter == "PERSONAL") g.filter = F::Personal;
  else if (filter == "SUBSCRIBED") g.filter = F::Subscribed;
  else if (filter == "SUBTREE" || filter == "MAILBOXES") {
    g.filter = filter == "SUBTREE" ? F::Subtree : F::Mailboxes;
    // one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")"
    a.sp();
    if (a.take('(')) {
      while (true) {
        g.mailboxes.push_back(mailbox(a));
        if (g.mailboxes.size() > kMaxNotifyMailboxes) a.fail("Too many mailboxes in NOTIFY");
        if (a.take(')')) break;
        a.sp();
      }
    } else {
      g.mailboxes.push_back(mailbox(a));
    }
  } else {
    a.fail("Unknown NOTIFY filter " + filter);
  }
  a.sp();
  bool expunge = false;
  if (!a.take_word("NONE")) {
    a.expect('(');
    while (true) {
      const std::string event = upper_word(a.atom());
      if (event == "MESSAGENEW") {
        g.events.message_new = true;
        if (a.rest().substr(0, 2) == " (") {
          // RFC 5465 §5.2: fetch-att only for the selected mailbox.
          if (g.filter != F::Selected && g.filter != F::SelectedDelayed)
            a.fail("MessageNew takes fetch attributes only for SELECTED or SELECTED-DELAYED");
          a.sp();
          const std::string_view from = a.rest();
          const std::size_t start = a.position();
          check_notify_fetch(a);
          g.events.fetch_attributes = std::string(from.substr(0, a.position() - start));
        }
      } else if (event == "MESSAGEEXPUNGE") {
        expunge = true;
      } else if (event == "FLAGCHANGE") {
        g.events.flag_change = true;
      } else if (event == "MAILBOXNAME") {
        g.events.mailbox_name = true;
      } else if (event == "SUBSCRIPTIONCHANGE") {
        g.events.subscription_change = true;
      } else {
        // AnnotationChange, MailboxMetadataChange, ServerMetadataChange
        // (no ANNOTATE or METADATA here) and any other name.
        bad_event = true;
      }
      if (a.take(')')) break;
      a.sp();
    }
  }
  a.expect(')');
  // RFC 5465 §5: MessageNew and MessageExpunge come together, and
  // FlagChange needs both.
  if (g.events.message_new != expunge)
    a.fail("MessageNew and MessageExpunge must be given together (RFC 5465 §5)");
  if (g.events.flag_change && !expunge)
    a.fail("FlagChange needs MessageNew and MessageExpunge (RFC 5465 §5)");
  return g;
}

void ServerSession::cmd_notify(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  a.sp();
  if (a.take_word("NONE")) {
    a.end();
    notify_off();
    return tagged(out, tag, "OK", "NOTIFY completed");
  }
  if (!a.take_word("SET")) a.fail("Expected NOTIFY SET or NOTIFY NONE");
  a.sp();
  const bool status = a.take_word("STATUS");
  if (status) a.sp();
  NotifySpec spec;
  bool bad_event = false;
  do {
    spec.groups.push_back(read_notify_group(a, bad_event));
    if (spec.groups.size() > kMaxNotifyGroups) a.fail("Too many NOTIFY event groups");
  } while (a.try_sp());
  a.end();
  // A failed NOTIFY leaves the one before it in force.
  if (bad_event) return tagged(out, tag, "NO", kBadEvent);
  notify_ = std::move(spec);
  handler_.watch_account(account_, std::max<std::size_t>(cfg_.max_pending_notifications, 1));
  if (status) {
    // RFC 5465 §3.1: STATUS now for every mailbox whose messages the
    // client will hear of (the selected one aside), so that it starts
    // from what the server knows.
    const std::set<std::string> subscribed =
        notify_->uses_subscriptions() ? handler_.subscriptions(account_) : std::set<std::string>{};
    for (const auto& f : store_.list_folders(account_)) {
      if (state_ == State::Selected && f.name == folder_) continue;
      const NotifyEvents* ev = notify_->events_for(f.name, subscribed);
      if (ev && ev->message_new) notify_status(f.name, *ev);
    }
  }
  tagged(out, tag, "OK", "NOTIFY completed");
}

void ServerSession::notify_off() {
  if (!notify_) return;
  notify_.reset();
  handler_.watch_account(account_, 0);
}

// ----------------------------------------------------------- responses ----

void ServerSession::notify_status(const std::string& folder, const NotifyEvents& events) {
  // RFC 5465 §5.2, §5.3: what a client needs to tell that messages came or
  // went; UNSEEN for FlagChange (§5.1), HIGHESTMODSEQ once CONDSTORE is on.
  std::vector<std::string> items{"MESSAGES", "UIDNEXT", "UIDVALIDITY"};
  if (events.flag_change) items.emplace_back("UNSEEN");
  if (condstore_) items.emplace_back("HIGHESTMODSEQ");
  try {
    untagged(status_line(folder, items));
  } catch (const store::StoreError&) {
    // gone meanwhile: its MailboxName event tells
  }
}

void ServerSession::notify_changes(std::vector<Output>& out) {
  using K = MailboxChange::Kind;
  bool overflowed = false;
  std::vector<MailboxChange> changes;
  try {
    changes = handler_.take_notifications(overflowed);
  } catch (...) {
    overflowed = true;
  }
  if (overflowed) {
    // RFC 5465 §5.8: the server tells and stops, as after NOTIFY NONE;
    // the client finds out for itself what changed.
    untagged("OK [NOTIFICATIONOVERFLOW] Too many changes at once; NOTIFY is off");
    notify_off();
    return flush(out);
  }
  const bool selected = state_ == State::Selected;
  const std::set<std::string> subscribed =
      notify_->uses_subscriptions() ? handler_.subscriptions(account_) : std::set<std::string>{};
  std::vector<std::pair<std::string, const NotifyEvents*>> statuses;  // once each, in order
  for (const MailboxChange& c : changes) {
    const bool message = c.kind <= K::FlagChange;
    // The selected mailbox's messages are the view's (below).
    if (message && selected && c.folder == folder_) continue;
    const NotifyEvents* ev = notify_->events_for(c.folder, subscribed);
    if (!ev && c.kind == K::Renamed) ev = notify_->events_for(c.old_name, subscribed);
    if (!ev) continue;
    if (message) {
      if (!ev->message_new || (c.kind == K::FlagChange && !ev->flag_change)) continue;
      if (std::none_of(statuses.begin(), statuses.end(),
                       [&](const auto& s) { return s.first == c.folder; }))
        statuses.emplace_back(c.folder, ev);
      continue;
    }
    const bool name_event = c.kind == K::Created || c.kind == K::Deleted || c.kind == K::Renamed;
    if (name_event && !ev->mailbox_name) continue;
    if (!name_event && !ev->subscription_change) continue;
    const std::string name = wire_name(c.folder);
    switch (c.kind) {
      // RFC 5465 §5.4: LIST for a mailbox made, one deleted
      // (\NonExistent), one renamed (with its OLDNAME, RFC 5258 §3.4 style).
      case K::Created: untagged("LIST () \"/\" " + name); break;
      case K::Deleted: untagged("LIST (\\NonExistent) \"/\" " + name); break;
      case K::Renamed:
        untagged("LIST () \"/\" " + name + " (\"OLDNAME\" (" + wire_name(c.old_name) + "))");
        break;
      // §5.5: LIST with or without \Subscribed.
      case K::Subscribed: untagged("LIST (\\Subscribed) \"/\" " + name); break;
      case K::Unsubscribed: untagged("LIST () \"/\" " + name); break;
      default: break;
    }
  }
  for (const auto& [folder, ev] : statuses) notify_status(folder, *ev);
  // The selected mailbox, when its group asks for message events: news at
  // once rather than at the next command, but EXPUNGE only while a command
  // is in progress (IDLE; RFC 9051 §7.5.1); MessageNew's fetch attributes
  // for the new messages (RFC 5465 §5.2).
  const NotifyGroup* sel = notify_->selected();
  if (selected && sel && sel->events.message_new) {
    const std::size_t before = view_.size();
    sync(idling_);
    if (!sel->events.fetch_attributes.empty() && view_.size() > before && !closing_)
      notify_fetch(sel->events.fetch_attributes, before, out);
  }
  flush(out);
}

}  // namespace mailroom::imap
