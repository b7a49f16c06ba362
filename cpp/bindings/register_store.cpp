// mailroom._core.store: MailStore, its records and its exceptions, for mailroom.store.
// Arguments are converted first, then the GIL is released for the store work.
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mailroom/engine/event_bus.hpp"
#include "mailroom/store/mail_store.hpp"
#include "dsn_values.hpp"
#include "bytes_arg.hpp"
#include "py_callable.hpp"
#include "register.hpp"
#include "stored_message.hpp"

namespace py = pybind11;

namespace mailroom::bindings {

namespace {

using store::MailStore;

StoredMessagePtr shared(const store::MessagePtr& m) { return stored_message(m); }

std::vector<StoredMessagePtr> shared(const std::vector<store::MessagePtr>& msgs) {
  std::vector<StoredMessagePtr> out;
  out.reserve(msgs.size());
  for (const auto& m : msgs) out.push_back(shared(m));
  return out;
}

store::FlagChange parse_change(const std::string& s) {
  if (s == "add") return store::FlagChange::Add;
  if (s == "remove") return store::FlagChange::Remove;
  if (s == "replace") return store::FlagChange::Replace;
  throw py::value_error("change must be 'add', 'remove' or 'replace', not '" + s + "'");
}

// An exception class of mailroom._core with several bases.
py::object new_exception(py::module_& m, const char* name, py::tuple bases, const char* doc) {
  std::string qualified = m.attr("__name__").cast<std::string>() + "." + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (!type) throw py::error_already_set();
  py::object cls = py::reinterpret_steal<py::object>(type);
  m.attr(name) = cls;
  return cls;
}

}  // namespace

void register_store(py::module_& root) {
  py::module_ m = root.def_submodule("store");
  py::object builtins = py::module_::import("builtins");
  py::object base = new_exception(m, "StoreError", py::make_tuple(builtins.attr("RuntimeError")),
                                  "A mail store operation was refused; nothing changed.");
  auto with = [&](const char* other) { return py::make_tuple(base, builtins.attr(other)); };
  // Kept alive for the translator (module attributes hold them too).
  static py::object invalid_name, invalid_flag, no_account, no_folder, exists, not_allowed,
      no_message, limit;
  invalid_name = new_exception(m, "InvalidFolderName", with("ValueError"), "A folder name breaks the rules.");
  invalid_flag = new_exception(m, "InvalidFlag", with("ValueError"), "Not a flag or keyword (an IMAP atom).");
  no_account = new_exception(m, "NoSuchAccount", with("LookupError"), "The store has no such account.");
  no_folder = new_exception(m, "NoSuchFolder", with("LookupError"), "The account has no such folder.");
  exists = new_exception(m, "FolderExists", py::make_tuple(base), "A folder of that name exists.");
  not_allowed = new_exception(m, "FolderNotAllowed", py::make_tuple(base),
                              "INBOX cannot be deleted; a folder cannot move below itself.");
  no_message = new_exception(m, "NoSuchMessage", with("LookupError"), "No message with that UID.");
  limit = new_exception(m, "LimitExceeded", py::make_tuple(base), "A limit of the store was reached.");
  static py::object store_error = base;
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const store::InvalidFolderName& e) {
      PyErr_SetString(invalid_name.ptr(), e.what());
    } catch (const store::InvalidFlag& e) {
      PyErr_SetString(invalid_flag.ptr(), e.what());
    } catch (const store::NoSuchAccount& e) {
      PyErr_SetString(no_account.ptr(), e.what());
    } catch (const store::NoSuchFolder& e) {
      PyErr_SetString(no_folder.ptr(), e.what());
    } catch (const store::FolderExists& e) {
      PyErr_SetString(exists.ptr(), e.what());
    } catch (const store::FolderNotAllowed& e) {
      PyErr_SetString(not_allowed.ptr(), e.what());
    } catch (const store::NoSuchMessage& e) {
      PyErr_SetString(no_message.ptr(), e.what());
    } catch (const store::LimitExceeded& e) {
      PyErr_SetString(limit.ptr(), e.what());
    } catch (const store::StoreError& e) {
      PyErr_SetString(store_error.ptr(), e.what());
    }
  });

  m.def("normalize_mailbox", &store::normalize_mailbox, py::arg("address"),
        "An address with its domain lower-cased (the local part kept, RFC 5321 §2.4).");
  m.def("folder_name", &store::checked_folder_name, py::arg("name"),
        "A folder name as the store keeps it (any case of INBOX is INBOX); InvalidFolderName.");
  using nogil = py::call_guard<py::gil_scoped_release>;
  using store::Envelope;
  py::class_<Envelope>(m, "Envelope", "The SMTP envelope a message came with (RFC 5321 §2.3.1)")
      .def_readonly("mail_from", &Envelope::mail_from, "\"\" for the null sender <>")
      .def_readonly("rcpt_to", &Envelope::rcpt_to, "Every recipient of the transaction")
      .def_readonly("peer", &Envelope::peer, "The client's ip:port")
      .def_readonly("received_at", &Envelope::received_at, "Seconds since the epoch")
      .def_readonly("dsn", &Envelope::dsn, "RET and ENVID (RFC 3461)")
      .def_property_readonly(
          "rcpt_dsn",
          [](const Envelope& e) {
            // One per recipient, also when the client gave none.
            std::vector<smtp::RecipientDsn> out(e.rcpt_to.size());
            for (std::size_t i = 0; i < out.size() && i < e.rcpt_dsn.size(); ++i) out[i] = e.rcpt_dsn[i];
            return out;
          },
          "NOTIFY and ORCPT of each recipient of rcpt_to, in order");
  py::class_<store::Message, StoredMessagePtr>(m, "StoredMessage", "A message's record in a folder")
      .def_readonly("uid", &store::Message::uid)
      .def_readonly("modseq", &store::Message::modseq, "Of its last change (RFC 7162)")
      .def_property_readonly(
          "flags", [](const store::Message& x) { return store::flag_names(x.flags, x.keywords()); },
          "System flags and keywords (\\Seen, $Label, ...)")
      .def_readonly("internal_date", &store::Message::internal_date, "Seconds since the epoch")
      .def_readonly("size", &store::Message::size, "Octets as stored")
      .def_readonly("arrival", &store::Message::arrival,
                    "Order of arrival over every INBOX, from 1; 0 in other folders")
      .def_property_readonly("account", &store::Message::account)
      .def_property_readonly("path", &store::Message::path, "Maildir: its file; in memory: \"\"")
      .def_property_readonly(
          "envelope",
          [](const store::Message& x) -> std::optional<Envelope> {
            if (!x.envelope) return std::nullopt;
            return *x.envelope;
          },
          "The SMTP envelope, when it came by SMTP");
  py::class_<store::FolderInfo>(m, "FolderInfo")
      .def_readonly("name", &store::FolderInfo::name)
      .def_readonly("special_use", &store::FolderInfo::special_use, "RFC 6154: \"\\Sent\", ... or \"\"");
  using store::FolderStatus;
  py::class_<FolderStatus>(m, "FolderStatus", "RFC 9051 §6.3.11 STATUS, RFC 7162 HIGHESTMODSEQ")
      .def_readonly("messages", &FolderStatus::messages)
      .def_readonly("uidnext", &FolderStatus::uidnext)
      .def_readonly("uidvalidity", &FolderStatus::uidvalidity)
      .def_readonly("unseen", &FolderStatus::unseen)
      .def_readonly("deleted", &FolderStatus::deleted)
      .def_readonly("size", &FolderStatus::size)
      .def_readonly("highestmodseq", &FolderStatus::highestmodseq);
  py::class_<store::StoreResult>(m, "StoreResult", "What a flag change did")
      .def_property_readonly(
          "changed", [](const store::StoreResult& r) { return shared(r.changed); },
          "The records after the change")
      .def_readonly("modified", &store::StoreResult::modified,
                    "UIDs refused by UNCHANGEDSINCE (RFC 7162 §3.1.3)");
  py::class_<store::CopyResult>(m, "CopyResult", "RFC 4315 COPYUID: old UIDs to new")
      .def_readonly("uidvalidity", &store::CopyResult::uidvalidity, "Of the destination folder")
      .def_readonly("source_uids", &store::CopyResult::source_uids)
      .def_readonly("dest_uids", &store::CopyResult::dest_uids);
  using store::StoreChange;
  py::class_<StoreChange>(m, "StoreChange", "One change of the store")
      .def_property_readonly(
          "kind", [](const StoreChange& c) { return engine::to_string(c.kind); },
          "\"appended\", \"flags\", \"expunged\", \"created\", \"deleted\" or \"renamed\"")
      .def_readonly("account", &StoreChange::account)
      .def_readonly("folder", &StoreChange::folder, "For \"renamed\": the new name")
      .def_readonly("old_name", &StoreChange::old_name, "For \"renamed\": the old name")
      .def_readonly("uid", &StoreChange::uid, "The message's, for message changes")
      .def_readonly("modseq", &StoreChange::modseq, "Of the change, for message changes");

  py::class_<MailStore>(m, "MailStore")
      .def(py::init([](std::optional<std::string> maildir, std::size_t max_messages,
                       std::uint64_t max_bytes, std::size_t max_folders,
                       std::size_t max_message_size) {
             store::StoreLimits limits;
             limits.max_messages = max_messages;
             limits.max_bytes = max_bytes;
             limits.max_folders = max_folders;
             limits.max_message_size = max_message_size;
             py::gil_scoped_release nogil_;
             if (!maildir) return std::make_unique<MailStore>(limits);
             return std::make_unique<MailStore>(std::filesystem::path(*maildir), limits);
           }),
           py::arg("maildir") = py::none(), py::arg("max_messages") = 1'000'000,
           py::arg("max_bytes") = std::uint64_t{4} << 30, py::arg("max_folders") = 1000,
           py::arg("max_message_size") = std::size_t{64} << 20)
      .def_property_readonly("maildir",
                             [](const MailStore& s) -> std::optional<std::string> {
                               if (s.in_memory()) return std::nullopt;
                               return s.root().string();
                             })
      .def_property_readonly("stale_tmp_removed", &MailStore::stale_tmp_removed)
      .def_property_readonly("open_notes", &MailStore::open_notes)
      .def("ensure_account", &MailStore::ensure_account, py::arg("address"), nogil())
      .def("accounts", &MailStore::accounts, nogil())
      .def("list_folders",
           [](const MailStore& s, const std::string& account) {
             std::vector<store::FolderInfo> folders;
             {
               py::gil_scoped_release nogil_;
               folders = s.list_folders(account);
             }
             return folders;
           },
           py::arg("account"))
      .def("create_folder", &MailStore::create_folder, py::arg("account"), py::arg("name"), nogil())
      .def("delete_folder", &MailStore::delete_folder, py::arg("account"), py::arg("name"), nogil())
      .def("rename_folder", &MailStore::rename_folder, py::arg("account"), py::arg("old"),
           py::arg("new"), nogil())
      .def("status",
           [](const MailStore& s, const std::string& account, const std::string& folder) {
             py::gil_scoped_release nogil_;
             return s.status(account, folder);
           },
           py::arg("account"), py::arg("folder"))
      .def("append",
           [](MailStore& s, const std::string& account, const std::string& folder,
              const py::object& data, std::vector<std::string> flags,
              std::optional<std::int64_t> internal_date) {
             ByteArg arg(data, "append", "data", false);
             py::gil_scoped_release nogil_;
             std::string bytes(arg.view());
             store::AppendOptions o;
             o.flags = std::move(flags);
             o.internal_date = internal_date;
             return shared(s.append(account, folder, std::move(bytes), o));
           },
           py::arg("account"), py::arg("folder"), py::arg("data"), py::arg("flags"),
           py::arg("internal_date") = py::none())
      .def("messages",
           [](const MailStore& s, const std::string& account, const std::string& folder) {
             py::gil_scoped_release nogil_;
             return shared(s.messages(account, folder));
           },
           py::arg("account"), py::arg("folder"))
      .def("by_uid",
           [](const MailStore& s, const std::string& account, const std::string& folder,
              std::uint32_t uid) -> StoredMessagePtr {
             py::gil_scoped_release nogil_;
             auto found = s.by_uid(account, folder, uid);
             if (!found) return nullptr;
             return shared(found);
           },
           py::arg("account"), py::arg("folder"), py::arg("uid"))
      .def("at",
           [](const MailStore& s, const std::string& account, const std::string& folder,
              std::size_t position) -> StoredMessagePtr {
             py::gil_scoped_release nogil_;
             auto found = s.at(account, folder, position);
             if (!found) return nullptr;
             return shared(found);
           },
           py::arg("account"), py::arg("folder"), py::arg("position"))
      .def("read",
           [](const MailStore& s, const std::string& account, const std::string& folder,
              std::uint32_t uid) {
             std::shared_ptr<const std::string> data;
             {
               py::gil_scoped_release nogil_;
               data = s.read(account, folder, uid);
             }
             return to_bytes(*data);
           },
           py::arg("account"), py::arg("folder"), py::arg("uid"))
      .def("store",
           [](MailStore& s, const std::string& account, const std::string& folder,
              std::vector<std::uint32_t> uids, const std::string& change,
              std::vector<std::string> flags, std::optional<std::uint64_t> unchanged_since) {
             const auto how = parse_change(change);
             py::gil_scoped_release nogil_;
             return s.store(account, folder, uids, how, flags, unchanged_since);
           },
           py::arg("account"), py::arg("folder"), py::arg("uids"), py::arg("change"),
           py::arg("flags"), py::arg("unchanged_since") = py::none())
      .def("copy",
           [](MailStore& s, const std::string& account, const std::string& from,
              std::vector<std::uint32_t> uids, const std::string& to) {
             py::gil_scoped_release nogil_;
             return s.copy(account, from, uids, to);
           },
           py::arg("account"), py::arg("folder"), py::arg("uids"), py::arg("to"))
      .def("move",
           [](MailStore& s, const std::string& account, const std::string& from,
              std::vector<std::uint32_t> uids, const std::string& to) {
             py::gil_scoped_release nogil_;
             return s.move(account, from, uids, to);
           },
           py::arg("account"), py::arg("folder"), py::arg("uids"), py::arg("to"))
      .def("expunge",
           [](MailStore& s, const std::string& account, const std::string& folder,
              std::optional<std::vector<std::uint32_t>> uids) {
             py::gil_scoped_release nogil_;
             return s.expunge(account, folder, uids);
           },
           py::arg("account"), py::arg("folder"), py::arg("uids") = py::none())
      .def("expunged_since", &MailStore::expunged_since, py::arg("account"), py::arg("folder"),
           py::arg("modseq"), nogil())
      .def("set_change_hook",
           [](MailStore& s, py::object fn) {
             if (fn.is_none()) {
               py::gil_scoped_release nogil_;
               s.set_change_hook(nullptr);
               return;
             }
             if (!PyCallable_Check(fn.ptr())) throw py::type_error("the change hook must be callable");
             auto holder = std::make_shared<PyCallable>(std::move(fn));
             py::gil_scoped_release nogil_;
             s.set_change_hook([holder](const store::StoreChange& c) {
               // On the thread that made the change: the GIL only for the call.
               py::gil_scoped_acquire gil;
               try {
                 holder->fn(c);
               } catch (py::error_already_set& e) {
                 e.discard_as_unraisable("mailroom.store.MailStore change hook");
               }
             });
           },
           py::arg("hook"))
      .def("count", &MailStore::count, nogil())
      .def("bytes", &MailStore::bytes, nogil());
}

}  // namespace mailroom::bindings
