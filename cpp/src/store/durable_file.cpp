#include "mailroom/store/durable_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <fstream>
#include <iterator>
#include <system_error>

namespace fs = std::filesystem;

namespace mailroom::store {

namespace {

[[noreturn]] void throw_errno(int e, const std::string& what, const fs::path& p) {
  throw std::system_error(e, std::generic_category(), what + " " + p.string());
}

// Writes all of `data` to `fd` (then sets its times to `mtime`), fsyncs
// (unless `sync` is false) and closes it; returns 0 or the errno.
int write_sync_close(int fd, std::string_view data, const char*& step,
                     std::optional<std::int64_t> mtime = std::nullopt, bool sync = true) {
  const char* p = data.data();
  std::size_t left = data.size();
  step = "cannot write";
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return e;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (mtime) {
    step = "cannot set the time of";
    const struct timespec times[2] = {{static_cast<time_t>(*mtime), 0},
                                      {static_cast<time_t>(*mtime), 0}};
    if (::futimens(fd, times) != 0) {
      int e = errno;
      ::close(fd);
      return e;
    }
  }
  if (!sync) return ::close(fd) == 0 ? 0 : errno;
  step = "cannot fsync";
  // fdatasync: the data and the size, not the times (rename and the
  // directory's fsync make the name durable); fsync when the time matters.
  if ((mtime ? ::fsync(fd) : ::fdatasync(fd)) != 0) {
    int e = errno;
    ::close(fd);
    return e;
  }
  return ::close(fd) == 0 ? 0 : errno;
}

}  // namespace

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno(errno, "cannot open directory", dir);
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    throw_errno(e, "cannot fsync directory", dir);
  }
  ::close(fd);
}

void write_synced(const fs::path& tmp, std::string_view data, std::optional<std::int64_t> mtime) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno(errno, "cannot create", tmp);
  const char* step = "";
  if (int e = write_sync_close(fd, data, step, mtime); e != 0) {
    ::unlink(tmp.c_str());
    throw_errno(e, step, tmp);
  }
}

void rename_durably(const fs::path& tmp, const fs::path& final, bool sync_directory) {
  if (::rename(tmp.c_str(), final.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw_errno(e, "cannot rename into", final);
  }
  if (sync_directory) fsync_dir(final.parent_path());
}

void write_durably(const fs::path& tmp, const fs::path& final, std::string_view data,
                   bool sync_directory, std::optional<std::int64_t> mtime) {
  write_synced(tmp, data, mtime);
  rename_durably(tmp, final, sync_directory);
}

void DirectorySync::sync() {
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = ++requested_;  // the caller's rename is done
  while (synced_ < ticket) {
    if (running_) {
      done_.wait(lock);
      continue;
    }
    running_ = true;
    const std::uint64_t covers = requested_;
    lock.unlock();
    std::exception_ptr error;
    try {
      fsync_dir(dir_);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    running_ = false;
    if (!error) synced_ = std::max(synced_, covers);
    done_.notify_all();
    if (error) std::rethrow_exception(error);
  }
}

void append_durably(const fs::path& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno(errno, "cannot open", path);
  const char* step = "";
  if (int e = write_sync_close(fd, data, step); e != 0) throw_errno(e, step, path);
}

void append_now(const fs::path& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno(errno, "cannot open", path);
  const char* step = "";
  if (int e = write_sync_close(fd, data, step, std::nullopt, false); e != 0)
    throw_errno(e, step, path);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace mailroom::store
