// ServerSession: CONDSTORE and QRESYNC (RFC 7162) and what ENABLE (RFC
// 5161) turns on: SELECT's CONDSTORE/QRESYNC parameters, FETCH's
// CHANGEDSINCE and VANISHED modifiers, STORE's UNCHANGEDSINCE, the VANISHED
// response. The store keeps a MODSEQ per message, HIGHESTMODSEQ per folder
// and the expunged UIDs with the MODSEQ of their expunge.
#include <algorithm>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/sequence_set.hpp"
#include "mailroom/imap/server_session.hpp"

namespace mailroom::imap {

namespace {

bool in_ranges(const std::vector<SequenceRange>& ranges, std::uint32_t n) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [n](const SequenceRange& r) { return n >= r.first && n <= r.last; });
}

// A sequence set of explicit numbers ("*" means the largest 32-bit value
// here: known-uids name UIDs the client has seen, RFC 7162 §3.2.5).
std::vector<SequenceRange> explicit_ranges(Arguments& a) {
  const SequenceSet set = a.sequence_set();
  if (set.saved) a.fail("$ is not allowed here");
  return resolved_ranges(set, UINT32_MAX);
}

// mod-sequence-value (RFC 7162 §7): 1 to 2^63-1.
std::uint64_t mod_sequence(Arguments& a, bool zero_ok) {
  const std::uint64_t n = a.number64();
  if ((n == 0 && !zero_ok) || n > (std::uint64_t{1} << 63) - 1) a.fail("Invalid mod-sequence value");
  return n;
}

}  // namespace

std::string ServerSession::enable(std::string_view capability) {
  if (iequals(capability, "CONDSTORE")) {
    if (condstore_) return {};
    enable_condstore();
    return "CONDSTORE";
  }
  // RFC 7162 §3.2.3: enabling QRESYNC enables CONDSTORE too.
  if (iequals(capability, "QRESYNC")) {
    if (qresync_) return {};
    qresync_ = true;
    enable_condstore();
    return "QRESYNC";
  }
  if (iequals(capability, "IMAP4rev2")) {
    if (rev2_) return {};
    rev2_ = true;
    return "IMAP4rev2";
  }
  // RFC 6855 §3 (utf8_accept.cpp).
  if (iequals(capability, "UTF8=ACCEPT")) return enable_utf8_accept() ? "UTF8=ACCEPT" : "";
  return {};  // RFC 5161 §3.1: what the server does not know is ignored
}

std::string ServerSession::modseq_item(const store::Message& m) const {
  return condstore_ ? " MODSEQ (" + std::to_string(m.modseq) + ")" : std::string();
}

ServerSession::SelectSync ServerSession::read_select_params(Arguments& a) {
  SelectSync p;
  if (!a.try_sp()) return p;
  read_option_list(a, [&](const std::string& word) {
    if (word == "CONDSTORE") {
      enable_condstore();  // RFC 7162 §3.1.8
    } else if (word == "QRESYNC") {
      // RFC 7162 §3.2.5: QRESYNC (uidvalidity mod-sequence-value
      // [known-uids] [(known-sequence-set known-uid-set)]), only once
      // ENABLE QRESYNC was given.
      if (!qresync_) a.fail("QRESYNC needs ENABLE QRESYNC first");
      p.qresync = true;
      a.sp();
      a.expect('(');
      p.uidvalidity = a.nz_number();
      a.sp();
      p.modseq = mod_sequence(a, false);
      if (a.try_sp()) {
        bool match_data = a.peek('(');
        if (!match_data) {
          p.known_uids = explicit_ranges(a);
          match_data = a.try_sp();
        }
        if (match_data) {
          a.expect('(');
          p.match_seqs = explicit_ranges(a);
          a.sp();
          p.match_uids = explicit_ranges(a);
          a.expect(')');
          auto count = [](const std::vector<SequenceRange>& r) {
            std::uint64_t n = 0;
            for (const auto& x : r) n += std::uint64_t{x.last} - x.first + 1;
            return n;
          };
          // RFC 7162 §3.2.5.2: the two sets have the same number of members.
          if (count(p.match_seqs) != count(p.match_uids))
            a.fail("Sequence match data of unequal sizes");
        }
      }
      a.expect(')');
    } else {
      a.fail("Unknown SELECT parameter " + word);
    }
  });
  return p;
}

void ServerSession::vanished_since(std::uint64_t modseq, const std::vector<SequenceRange>& uids,
                                   bool earlier) {
  std::vector<std::uint32_t> gone = store_.expunged_since(account_, folder_, modseq);
  std::sort(gone.begin(), gone.end());
  gone.erase(std::unique(gone.begin(), gone.end()), gone.end());
  if (!uids.empty())
    gone.erase(std::remove_if(gone.begin(), gone.end(),
                              [&](std::uint32_t u) { return !in_ranges(uids, u); }),
               gone.end());
  if (gone.empty()) return;
  untagged(std::string(earlier ? "VANISHED (EARLIER) " : "VANISHED ") + compact_set(gone));
}

void ServerSession::qresync_select(const SelectSync& p) {
  // RFC 7162 §3.2.5.2: with another UIDVALIDITY the client's cache is
  // void; the SELECT answers as without QRESYNC.
  if (!p.qresync || p.uidvalidity != uidvalidity_) return;
  vanished_since(p.modseq, p.known_uids, true);
  for (std::size_t i = 0; i < view_.size(); ++i) {
    const store::Message& m = *view_[i];
    if (m.modseq <= p.modseq) continue;
    if (!p.known_uids.empty() && !in_ranges(p.known_uids, m.uid)) continue;
    untagged(std::to_string(i + 1) + " FETCH (UID " + std::to_string(m.uid) + " FLAGS " +
             flags_text(m) + modseq_item(m) + ")");
  }
}

ServerSession::FetchChangedSince ServerSession::read_fetch_modifiers(Arguments& a, bool uid) {
  FetchChangedSince f;
  if (!a.try_sp()) return f;
  read_option_list(a, [&](const std::string& word) {
    if (word == "CHANGEDSINCE") {
      a.sp();
      f.since = mod_sequence(a, true);
    } else if (word == "VANISHED") {
      // RFC 7162 §3.2.6: UID FETCH only, QRESYNC enabled, with CHANGEDSINCE.
      if (!uid) a.fail("VANISHED is a UID FETCH modifier");
      if (!qresync_) a.fail("VANISHED needs ENABLE QRESYNC first");
      f.vanished = true;
    } else {
      a.fail("Unknown FETCH modifier " + word);
    }
  });
  if (f.vanished && !f.since) a.fail("VANISHED needs CHANGEDSINCE");
  if (f.since) enable_condstore();  // RFC 7162 §3.1: a CONDSTORE enabling command
  return f;
}

std::optional<std::uint64_t> ServerSession::read_store_modifiers(Arguments& a) {
  std::optional<std::uint64_t> since;
  if (!a.peek('(')) return since;
  read_option_list(a, [&](const std::string& word) {
    if (word != "UNCHANGEDSINCE") a.fail("Unknown STORE modifier " + word);
    a.sp();
    since = mod_sequence(a, true);  // 0 fails for every message (§3.1.3)
  });
  a.sp();
  if (since) enable_condstore();
  return since;
}

}  // namespace mailroom::imap
