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
  const auto status = store_.status(account_, folder);
  view_ = store_.messages(account_, folder);
  folder_ = folder;
  read_only_ = read_only;
  uidvalidity_ = status.uidvalidity;
  state_ = State::Selected;
  dirty_ = false;
  saved_uids_.clear();  // RFC 5182 §2.1
  handler_.watch(account_, folder_);
}

void ServerSession::deselect() {
  if (folder_.empty()) return;
  folder_.clear();
  view_.clear();
  view_.shrink_to_fit();
  recent_.clear();
  saved_uids_.clear();
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

void ServerSession::sync(bool expunges) {
  if (state_ != State::Selected) return;
  // RFC 5465 §6.1: SELECTED-DELAYED holds expunges back during the UID
  // commands too (which RFC 9051 §7.5.1 would let have them), so that a
  // client's sequence numbers stay put until NOOP, IDLE and the like.
  if (expunges && uid_command_ && notify_ && notify_->selected() &&
      notify_->selected()->filter == NotifyGroup::Filter::SelectedDelayed)
    expunges = false;
  std::vector<store::MessagePtr> now;
  try {
    now = store_.messages(account_, folder_);
  } catch (const store::NoSuchFolder&) {
    // The folder was deleted or renamed away under us.
    pending_ += "* BYE Mailbox was deleted or renamed\r\n";
    closing_ = true;
    return;
  }
  std::vector<store::MessagePtr> next;
  next.reserve(std::max(now.size(), view_.size()));
  std::vector<std::size_t> gone;     // old 0-based positions, ascending
  std::vector<std::size_t> changed;  // positions in `next`
  bool kept_gone = false;
  std::size_t i = 0, j = 0;
  while (i < view_.size() || j < now.size()) {
    if (j == now.size() || (i < view_.size() && view_[i]->uid < now[j]->uid)) {
      if (expunges)
        gone.push_back(i);
      else
        next.push_back(view_[i]), kept_gone = true;
      ++i;
    } else if (i == view_.size() || now[j]->uid < view_[i]->uid) {
      next.push_back(now[j++]);  // arrived (UIDs only grow: always at the end)
    } else {
      const auto& old = *view_[i];
      const auto& cur = *now[j];
      if (old.flags != cur.flags || old.keyword_bits != cur.keyword_bits) changed.push_back(next.size());
      next.push_back(now[j]);
      ++i, ++j;
    }
  }
  // Highest first, so each number is still the one the client knows.
  if (qresync_ && !gone.empty()) {
    // RFC 7162 §3.2.10: once QRESYNC is on, VANISHED instead of EXPUNGE.
    std::vector<std::uint32_t> uids;
    for (std::size_t p : gone) uids.push_back(view_[p]->uid);
    untagged("VANISHED " + compact_set(uids));
  } else {
    for (auto it = gone.rbegin(); it != gone.rend(); ++it)
      untagged(std::to_string(*it + 1) + " EXPUNGE");
  }
  for (std::size_t pos : changed) {
    std::string line = std::to_string(pos + 1) + " FETCH (";
    line += "UID " + std::to_string(next[pos]->uid) + " ";
    line += "FLAGS " + flags_text(*next[pos]) + modseq_item(*next[pos]) + ")";
    untagged(line);
  }
  const std::size_t before = view_.size() - gone.size();
  view_ = std::move(next);
  if (view_.size() != before) {
    untagged(std::to_string(view_.size()) + " EXISTS");
    claim_recent();
    // RFC 3501 §7.3.2; IMAP4rev2 has no \Recent (RFC 9051 Appendix E).
    if (!rev2_) untagged(std::to_string(recent_count()) + " RECENT");
  }
  dirty_ = kept_gone;
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
