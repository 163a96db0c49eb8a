#pragma once
// "Is this output path the run store?" Every file HalfLab writes (exports, JSON lines,
// fallbacks, benchmark stores) is checked with this BEFORE it is opened: fopen("w")
// truncates, so `--out runs.sqlite` would destroy every stored run, and writing over the
// -wal file would lose the last commits. Files are compared by identity (device + inode,
// following symlinks, so symlinks and hard links are caught), not by name; a companion
// file that does not exist right now (-wal, -shm and -journal come and go) is compared
// by its resolved absolute path instead, so it cannot be created by the output either.
#include <string>

namespace halflab {

// Empty when writing out_path cannot touch the store at store_path; otherwise what the
// output would hit, e.g. "is the run store runs.sqlite" or "is the write-ahead log of
// the run store runs.sqlite". An empty store_path protects nothing.
std::string outputHitsStore(const std::string& out_path, const std::string& store_path);

// The same for an open descriptor (stdout redirected onto the store: `> runs.sqlite-wal`).
std::string descriptorHitsStore(int fd, const std::string& store_path);

// "" or e.g. "standard output is the run store runs.sqlite; ..." for stdout and stderr.
std::string standardStreamHitsStore(const std::string& store_path);

}  // namespace halflab
