#pragma once
// A fuzz input as a file the loaders can open by path: an anonymous in-memory file
// (memfd), reached through /proc/self/fd. Nothing touches the disk, and the product
// code keeps reading paths as it does for real datasets.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace halflab::fuzz {

class MemoryFile {
 public:
  MemoryFile(const char* name, const std::uint8_t* data, std::size_t size) : fd_(memfd_create(name, 0)) {
    if (fd_ < 0) fail("memfd_create");
    for (std::size_t done = 0; done < size;) {
      const ssize_t n = write(fd_, data + done, size - done);
      if (n <= 0) fail("write");
      done += static_cast<std::size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  [[noreturn]] static void fail(const char* what) {
    std::perror(what);  // the harness cannot work at all: stop loudly, not as a finding
    std::_Exit(2);
  }
  int fd_;
  std::string path_;
};

}  // namespace halflab::fuzz
