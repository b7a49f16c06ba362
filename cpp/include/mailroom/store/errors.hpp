// The store's typed errors. Bad input is refused with one of these before
// anything changes; I/O failures stay std::system_error.
#pragma once

#include <stdexcept>
#include <string>

namespace mailroom::store {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// A folder name that breaks the naming rules (see folder_name.hpp).
class InvalidFolderName : public StoreError {
 public:
  using StoreError::StoreError;
};
// A flag or keyword that is not a system flag or an IMAP atom (RFC 9051 §2.3.2).
class InvalidFlag : public StoreError {
 public:
  using StoreError::StoreError;
};
class NoSuchAccount : public StoreError {
 public:
  using StoreError::StoreError;
};
class NoSuchFolder : public StoreError {
 public:
  using StoreError::StoreError;
};
class FolderExists : public StoreError {
 public:
  using StoreError::StoreError;
};
// INBOX cannot be deleted; a folder cannot be renamed onto itself or below itself.
class FolderNotAllowed : public StoreError {
 public:
  using StoreError::StoreError;
};
class NoSuchMessage : public StoreError {
 public:
  using StoreError::StoreError;
};
// A limit of StoreLimits was reached; nothing was stored.
class LimitExceeded : public StoreError {
 public:
  using StoreError::StoreError;
};

}  // namespace mailroom::store
