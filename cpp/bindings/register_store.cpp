// mailroom._core.MailStore and the store's exceptions, for mailroom.store.
// Arguments are converted first, then the GIL is released for the store work.
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mailroom/store/mail_store.hpp"
#include "bytes_arg.hpp"
#include "py_callable.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace mailroom::bindings {

namespace {

using store::MailStore;

// (uid, modseq, flags, internal_date, size, arrival, path)
using MessageRow = std::tuple<std::uint32_t, std::uint64_t, std::vector<std::string>, std::int64_t,
                              std::uint64_t, std::uint64_t, std::string>;

MessageRow row(const store::Message& m) {
  return {m.uid, m.modseq, store::flag_names(m.flags, m.keywords), m.internal_date, m.size, m.arrival,
          m.path};
}

std::vector<MessageRow> rows(const std::vector<store::MessagePtr>& msgs) {
  std::vector<MessageRow> out;
  out.reserve(msgs.size());
  for (const auto& m : msgs) out.push_back(row(*m));
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
  std::string qualified = std::string("mailroom._core.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (!type) throw py::error_already_set();
  py::object cls = py::reinterpret_steal<py::object>(type);
  m.attr(name) = cls;
  return cls;
}

}  // namespace

void register_store(py::module_& m) {
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

  m.def("normalize_mailbox", &store::normalize_mailbox,
        "An address with its domain lower-cased (the local part kept, RFC 5321 §2.4).");
  m.def("folder_name", &store::checked_folder_name,
        "A folder name as the store keeps it (any case of INBOX is INBOX); InvalidFolderName.");
  using nogil = py::call_guard<py::gil_scoped_release>;
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
      .def("ensure_account", &MailStore::ensure_account, nogil())
      .def("accounts", &MailStore::accounts, nogil())
      .def("list_folders",
           [](const MailStore& s, const std::string& account) {
             std::vector<store::FolderInfo> folders;
             {
               py::gil_scoped_release nogil_;
               folders = s.list_folders(account);
             }
             py::list out;
             for (const auto& f : folders) out.append(py::make_tuple(f.name, f.special_use));
             return out;
           })
      .def("create_folder", &MailStore::create_folder, nogil())
      .def("delete_folder", &MailStore::delete_folder, nogil())
      .def("rename_folder", &MailStore::rename_folder, nogil())
      .def("status",
           [](const MailStore& s, const std::string& account, const std::string& folder) {
             store::FolderStatus st;
             {
               py::gil_scoped_release nogil_;
               st = s.status(account, folder);
             }
             // (messages, uidnext, uidvalidity, unseen, deleted, size, highestmodseq)
             return py::make_tuple(st.messages, st.uidnext, st.uidvalidity, st.unseen, st.deleted,
                                   st.size, st.highestmodseq);
           })
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
             return row(*s.append(account, folder, std::move(bytes), o));
           },
           py::arg("account"), py::arg("folder"), py::arg("data"), py::arg("flags"),
           py::arg("internal_date") = py::none())
      .def("messages",
           [](const MailStore& s, const std::string& account, const std::string& folder) {
             py::gil_scoped_release nogil_;
             return rows(s.messages(account, folder));
           })
      .def("by_uid",
           [](const MailStore& s, const std::string& account, const std::string& folder,
              std::uint32_t uid) -> std::optional<MessageRow> {
             py::gil_scoped_release nogil_;
             auto found = s.by_uid(account, folder, uid);
             if (!found) return std::nullopt;
             return row(*found);
           })
      .def("at",
           [](const MailStore& s, const std::string& account, const std::string& folder,
              std::size_t position) -> std::optional<MessageRow> {
             py::gil_scoped_release nogil_;
             auto found = s.at(account, folder, position);
             if (!found) return std::nullopt;
             return row(*found);
           })
      .def("read",
           [](const MailStore& s, const std::string& account, const std::string& folder,
              std::uint32_t uid) {
             std::shared_ptr<const std::string> data;
             {
               py::gil_scoped_release nogil_;
               data = s.read(account, folder, uid);
             }
             return to_bytes(*data);
           })
      .def("store",
           [](MailStore& s, const std::string& account, const std::string& folder,
              std::vector<std::uint32_t> uids, const std::string& change,
              std::vector<std::string> flags, std::optional<std::uint64_t> unchanged_since) {
             const auto how = parse_change(change);
             py::gil_scoped_release nogil_;
             auto r = s.store(account, folder, uids, how, flags, unchanged_since);
             return std::make_pair(rows(r.changed), r.modified);
           },
           py::arg("account"), py::arg("folder"), py::arg("uids"), py::arg("change"),
           py::arg("flags"), py::arg("unchanged_since") = py::none())
      .def("copy",
           [](MailStore& s, const std::string& account, const std::string& from,
              std::vector<std::uint32_t> uids, const std::string& to) {
             py::gil_scoped_release nogil_;
             auto r = s.copy(account, from, uids, to);
             return std::make_tuple(r.uidvalidity, r.source_uids, r.dest_uids);
           })
      .def("move",
           [](MailStore& s, const std::string& account, const std::string& from,
              std::vector<std::uint32_t> uids, const std::string& to) {
             py::gil_scoped_release nogil_;
             auto r = s.move(account, from, uids, to);
             return std::make_tuple(r.uidvalidity, r.source_uids, r.dest_uids);
           })
      .def("expunge",
           [](MailStore& s, const std::string& account, const std::string& folder,
              std::optional<std::vector<std::uint32_t>> uids) {
             py::gil_scoped_release nogil_;
             return s.expunge(account, folder, uids);
           },
           py::arg("account"), py::arg("folder"), py::arg("uids") = py::none())
      .def("expunged_since", &MailStore::expunged_since, nogil())
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
               static const char* kinds[] = {"appended", "flags",   "expunged",
                                             "created",  "deleted", "renamed"};
               // On the thread that made the change: the GIL only for the call.
               py::gil_scoped_acquire gil;
               try {
                 holder->fn(kinds[static_cast<int>(c.kind)], c.account, c.folder, c.old_name, c.uid,
                            c.modseq);
               } catch (py::error_already_set& e) {
                 e.discard_as_unraisable("mailroom.store.MailStore change hook");
               }
             });
           })
      .def("count", &MailStore::count, nogil())
      .def("bytes", &MailStore::bytes, nogil());
}

}  // namespace mailroom::bindings
