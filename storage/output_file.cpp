#include "storage/output_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "storage/output_guard.hpp"
#include "storage/store_error.hpp"

namespace halflab {

OutputFile::OutputFile(const std::string& path, const std::string& protected_store, Mode mode,
                       std::string label)
    : path_(path), label_(label.empty() ? path : std::move(label)) {
  const bool is_stdout = path == "-";
  const std::string clash =
      is_stdout ? descriptorHitsStore(STDOUT_FILENO, protected_store)
                : outputHitsStore(path, protected_store);
  if (!clash.empty())
    throw StoreError(label_ + ": " + (is_stdout ? "standard output " : "") + clash +
                     "; writing there would destroy stored runs (choose another file)");
  if (is_stdout) {
    f_ = stdout;
    is_stdout_ = true;
    return;
  }
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
  flags |= mode == Mode::CreateNew ? O_EXCL : O_TRUNC;
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0)
    throw StoreError(label_ + ": cannot open for writing (" + std::strerror(errno) + ")");
  f_ = ::fdopen(fd, "w");
  if (!f_) {
    const int err = errno;
    ::close(fd);
    throw StoreError(label_ + ": cannot open for writing (" + std::strerror(err) + ")");
  }
}

OutputFile::~OutputFile() {
  if (f_ && !is_stdout_) std::fclose(f_);
}

void OutputFile::fail(int err) {
  if (error_.empty())
    error_ = label_ + ": cannot write (" + (err ? std::strerror(err) : "write error") + ")";
}

bool OutputFile::write(std::string_view text) {
  if (!ok() || !f_) return false;
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), f_) != text.size()) fail(errno);
  return ok();
}

bool OutputFile::flush() {
  if (!ok() || !f_) return false;
  errno = 0;
  if (std::fflush(f_) != 0) fail(errno);
  return ok();
}

void OutputFile::close() {
  if (f_) {
    errno = 0;
    if (std::fflush(f_) != 0 || std::ferror(f_)) fail(errno);
    if (!is_stdout_) {
      errno = 0;
      if (std::fclose(f_) != 0) fail(errno);
    }
    f_ = nullptr;
  }
  if (!ok()) throw StoreError(error_);
}

}  // namespace halflab
