#pragma once
// A file HalfLab writes (an export, JSON lines, the fallback copy of a run that could not
// be stored): never one of the run store's files (output_guard.hpp, checked before the
// file is opened, since opening truncates), and every failed write, flush or close is an
// error naming the file and the reason ("No space left on device", "Broken pipe")
// instead of a silently short file.
#include <cstdio>
#include <string>
#include <string_view>

namespace halflab {

class OutputFile {
 public:
  enum class Mode {
    Replace,    // create or truncate
    CreateNew,  // the file must not exist yet (O_EXCL): never replaces anything
  };
  // path "-" is stdout. `label` names the output in errors (e.g. "--jsonl out.jsonl");
  // empty = the path. Throws StoreError when the path is one of protected_store's files
  // or cannot be opened.
  OutputFile(const std::string& path, const std::string& protected_store,
             Mode mode = Mode::Replace, std::string label = {});
  ~OutputFile();  // closes quietly; call close() to hear about a failure
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Writes all of text; false (and nothing more is written) once any write failed.
  bool write(std::string_view text);
  // Pushes buffered text to the file now; false once anything failed.
  bool flush();
  bool ok() const { return error_.empty(); }
  // "" or "<label>: cannot write (No space left on device)" for the first failure.
  const std::string& error() const { return error_; }
  // Flushes and closes (stdout is flushed, not closed); throws StoreError with the first
  // failure of any write, the flush or the close.
  void close();
  const std::string& path() const { return path_; }

 private:
  void fail(int err);
  std::string path_, label_, error_;
  std::FILE* f_ = nullptr;
  bool is_stdout_ = false;
};

}  // namespace halflab
