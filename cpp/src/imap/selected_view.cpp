// ServerSession: the view of the selected folder (the messages its client
// knows, in sequence order) and its sync with the store by the rules of
// RFC 9051 §7.5.1; sequence sets resolved against it.
#include <algorithm>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/sequence_set.hpp"
#include "mailroom/imap/server_session.hpp"
#include "mailroom/store/flags.hpp"

namespace mailroom::imap {

std::string ServerSession::flags_text(const store::Message& m) const {
  std::string s = "(";
  bool first = true;
  for (const auto& f : store::flag_names(m.flags, m.keywords())) {
    if (!first) s.push_back(' ');
    first = false;
    s += f;
  }
  if (!rev2_ && recent(m.uid)) s += first ? "\\Recent" : " \\Recent";
  s.push_back(')');
  return s;
}

bool ServerSession::recent(std::uint32_t uid) const {
  auto it = std::upper_bound(recent_.begin(), recent_.end(), uid,
                             [](std::uint32_t u, const auto& r) { return u < r.first; });
  return it != recent_.begin() && uid <= std::prev(it)->second;
}

std::size_t ServerSession::recent_count() const {
  std::size_t n = 0;
  for (const auto& [first, last] : recent_) {
    auto lo = std::lower_bound(view_.begin(), view_.end(), first,
                               [](const store::MessagePtr& m, std::uint32_t u) { return m->uid < u; });
    auto hi = std::upper_bound(view_.begin(), view_.end(), last,
                               [](std::uint32_t u, const store::MessagePtr& m) { return u < m->uid; });
    n += static_cast<std::size_t>(hi - lo);
  }
  return n;
}

void ServerSession::claim_recent() {
  if (read_only_ || view_.empty()) return;
  const std::uint32_t last = view_.back()->uid;
  std::uint32_t before = 0;
  try {
    before = handler_.claim_recent(account_, folder_, uidvalidity_, last);
  } catch (...) {
    return;  // none recent: what a failing handler costs
  }
  if (last <= before) return;
  if (!recent_.empty() && recent_.back().second == before)
    recent_.back().second = last;
  else
    recent_.emplace_back(before + 1, last);
}

std::string ServerSession::cache_key(std::uint32_t uid) const {
  std::string k = account_;
  k.push_back('\n');
  k += folder_;
  k.push_back('\n');
  k += std::to_string(uidvalidity_);
  k.push_back('\n');
  k += std::to_string(uid);
  return k;
}

std::shared_ptr<const mime::ParsedMessage> ServerSession::parsed_message(
    const store::MessagePtr& m) {
  try {
    return cache_.parsed(cache_key(m->uid), store_.read(*m));
  } catch (const store::NoSuchMessage&) {
    return mime::parse_message("");
  }
}

void ServerSession::select_view(const std::string& folder, bool read_only) {
  // Watched first: a change made while the folder is read is noted too
  // (and found already in the view when it is looked up).
  handler_.watch(account_, folder);
  try {
    const auto status = store_.status(account_, folder);
    view_ = store_.messages(account_, folder);
    uidvalidity_ = status.uidvalidity;
  } catch (...) {
    handler_.watch(account_, "");
    throw;
  }
  folder_ = folder;
  read_only_ = read_only;
  state_ = State::Selected;
  dirty_ = false;
  held_expunges_.clear();
  saved_uids_.clear();  // RFC 5182 §2.1
}

void ServerSession::deselect() {
  if (folder_.empty()) return;
  folder_.clear();
  view_.clear();
  view_.shrink_to_fit();
  recent_.clear();
  saved_uids_.clear();
  held_expunges_.clear();
  if (state_ == State::Selected) state_ = State::Authenticated;
  handler_.watch(account_, "");
}

void ServerSession::store_changed(std::vector<Output>& out) {
  if (notify_ && !paused_ && !closed()) notify_changes(out);
  if (state_ != State::Selected) return;
  dirty_ = true;
  if (idling_ && !paused_) {
    sync(true);
    flush(out);
  }
}

struct ServerSession::ViewUpdate {
  std::vector<std::size_t> gone;         // positions in the old view, ascending
  std::vector<std::uint32_t> gone_uids;  // their UIDs
  std::vector<std::size_t> changed;      // flags changed: positions in the new view
};

namespace {

std::vector<store::MessagePtr>::const_iterator find_uid(const std::vector<store::MessagePtr>& view,
                                                        std::uint32_t uid) {
  auto it = std::lower_bound(view.begin(), view.end(), uid,
                             [](const store::MessagePtr& m, std::uint32_t u) { return m->uid < u; });
  return it != view.end() && (*it)->uid == uid ? it : view.end();
}

bool same_flags(const store::Message& a, const store::Message& b) {
  return a.flags == b.flags && a.keyword_bits == b.keyword_bits;
}

}  // namespace

void ServerSession::sync(bool expunges) {
  if (state_ != State::Selected) return;
  // RFC 5465 §6.1: SELECTED-DELAYED holds expunges back during the UID
  // commands too (which RFC 9051 §7.5.1 would let have them), so that a
  // client's sequence numbers stay put until NOOP, IDLE and the like.
  if (expunges && uid_command_ && notify_ && notify_->selected() &&
      notify_->selected()->filter == NotifyGroup::Filter::SelectedDelayed)
    expunges = false;
  const std::size_t known = view_.size();
  ViewUpdate u;
  try {
    // Most syncs look up a few messages, not the whole folder.
    auto uids = handler_.take_folder_changes();
    if (!uids || !apply_folder_changes(std::move(*uids), expunges, u)) compare_view(expunges, u);
  } catch (const store::NoSuchFolder&) {
    // The folder was deleted or renamed away under us.
    pending_ += "* BYE Mailbox was deleted or renamed\r\n";
    closing_ = true;
    return;
  }
  // Highest first, so each number is still the one the client knows.
  if (qresync_ && !u.gone.empty()) {
    // RFC 7162 §3.2.10: once QRESYNC is on, VANISHED instead of EXPUNGE.
    untagged("VANISHED " + compact_set(u.gone_uids));
  } else {
    for (auto it = u.gone.rbegin(); it != u.gone.rend(); ++it)
      untagged(std::to_string(*it + 1) + " EXPUNGE");
  }
  for (std::size_t pos : u.changed) {
    std::string line = std::to_string(pos + 1) + " FETCH (";
    line += "UID " + std::to_string(view_[pos]->uid) + " ";
    line += "FLAGS " + flags_text(*view_[pos]) + modseq_item(*view_[pos]) + ")";
    untagged(line);
  }
  if (view_.size() != known - u.gone.size()) {
    untagged(std::to_string(view_.size()) + " EXISTS");
    claim_recent();
    // RFC 3501 §7.3.2; IMAP4rev2 has no \Recent (RFC 9051 Appendix E).
    if (!rev2_) untagged(std::to_string(recent_count()) + " RECENT");
  }
  dirty_ = !held_expunges_.empty();
}

bool ServerSession::apply_folder_changes(std::vector<std::uint32_t> uids, bool expunges,
                                         ViewUpdate& u) {
  uids.insert(uids.end(), held_expunges_.begin(), held_expunges_.end());
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  // Every lookup first, so that a folder gone (NoSuchFolder) or a change
  // this cannot place leaves the view as it was.
  struct Looked {
    std::size_t pos;  // in the view; npos: not in it
    store::MessagePtr now;  // null: not in the store
  };
  std::vector<Looked> looked;
  looked.reserve(uids.size());
  const std::uint32_t last = view_.empty() ? 0 : view_.back()->uid;
  for (std::uint32_t uid : uids) {
    auto it = find_uid(view_, uid);
    Looked l{it == view_.end() ? std::string::npos : static_cast<std::size_t>(it - view_.begin()),
             store_.by_uid(account_, folder_, uid)};
    // New to the view but before its end: not how a folder grows.
    if (l.pos == std::string::npos && l.now && uid < last) return false;
    looked.push_back(std::move(l));
  }
  held_expunges_.clear();
  std::vector<std::uint32_t> flagged;  // UIDs whose flags changed
  std::vector<store::MessagePtr> arrived;
  for (std::size_t k = 0; k < looked.size(); ++k) {
    auto& [pos, now] = looked[k];
    if (pos == std::string::npos) {
      if (now) arrived.push_back(std::move(now));  // ascending UIDs, after the last
      continue;
    }
    store::MessagePtr& known = view_[pos];
    if (!now) {
      if (expunges)
        u.gone.push_back(pos), u.gone_uids.push_back(uids[k]);
      else
        held_expunges_.push_back(uids[k]);
    } else if (now != known) {
      if (!same_flags(*known, *now)) flagged.push_back(uids[k]);
      known = std::move(now);
    }
  }
  if (!u.gone.empty()) {
    std::size_t kept = 0, g = 0;
    for (std::size_t i = 0; i < view_.size(); ++i) {
      if (g < u.gone.size() && u.gone[g] == i) {
        ++g;
        continue;
      }
      if (kept != i) view_[kept] = std::move(view_[i]);
      ++kept;
    }
    view_.resize(kept);
  }
  for (auto& m : arrived) view_.push_back(std::move(m));
  for (std::uint32_t uid : flagged)
    u.changed.push_back(static_cast<std::size_t>(find_uid(view_, uid) - view_.begin()));
  return true;
}

void ServerSession::compare_view(bool expunges, ViewUpdate& u) {
  std::vector<store::MessagePtr> now = store_.messages(account_, folder_);
  held_expunges_.clear();
  std::vector<store::MessagePtr> next;
  next.reserve(std::max(now.size(), view_.size()));
  std::size_t i = 0, j = 0;
  while (i < view_.size() || j < now.size()) {
    if (j == now.size() || (i < view_.size() && view_[i]->uid < now[j]->uid)) {
      if (expunges) {
        u.gone.push_back(i);
        u.gone_uids.push_back(view_[i]->uid);
      } else {
        held_expunges_.push_back(view_[i]->uid);
        next.push_back(view_[i]);
      }
      ++i;
    } else if (i == view_.size() || now[j]->uid < view_[i]->uid) {
      next.push_back(now[j++]);  // arrived (UIDs only grow: always at the end)
    } else {
      if (view_[i] != now[j] && !same_flags(*view_[i], *now[j])) u.changed.push_back(next.size());
      next.push_back(now[j]);
      ++i, ++j;
    }
  }
  view_ = std::move(next);
}

std::vector<std::size_t> ServerSession::resolve(const SequenceSet& set, bool uid) const {
  std::vector<std::size_t> pos;
  if (set.saved) {
    // RFC 5182 §2.1: "$" is the saved result; what was expunged since is
    // no longer in it.
    for (std::uint32_t u : saved_uids_) {
      auto it = std::lower_bound(view_.begin(), view_.end(), u,
                                 [](const store::MessagePtr& m, std::uint32_t v) { return m->uid < v; });
      if (it != view_.end() && (*it)->uid == u)
        pos.push_back(static_cast<std::size_t>(it - view_.begin()));
    }
    return pos;
  }
  if (uid) {
    // RFC 9051 §6.4.9: UIDs that do not exist are ignored; '*' is the
    // largest UID (so "n:*" names at least that message when n is larger).
    const std::uint32_t largest = view_.empty() ? 0 : view_.back()->uid;
    for (const auto& r : set.ranges) {
      std::uint32_t a = r.first ? r.first : largest, b = r.last ? r.last : largest;
      if (a > b) std::swap(a, b);
      auto lo = std::lower_bound(view_.begin(), view_.end(), a,
                                 [](const store::MessagePtr& m, std::uint32_t u) { return m->uid < u; });
      for (auto it = lo; it != view_.end() && (*it)->uid <= b; ++it)
        pos.push_back(static_cast<std::size_t>(it - view_.begin()));
    }
  } else {
    const auto largest = static_cast<std::uint32_t>(view_.size());
    for (const auto& r : set.ranges) {
      std::uint32_t a = r.first ? r.first : largest, b = r.last ? r.last : largest;
      if (a > b) std::swap(a, b);
      if (a == 0 || b > largest) throw SyntaxError("Invalid sequence number (no such message)");
      for (std::uint32_t n = a; n <= b; ++n) pos.push_back(n - 1);
    }
  }
  std::sort(pos.begin(), pos.end());
  pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
  return pos;
}

}  // namespace mailroom::imap
