#pragma once
// halflab-cli's exit codes, one meaning each (the README's "Headless: halflab-cli" table).
namespace halflab::cli {

inline constexpr int kExitOk = 0;
// A file, store or dataset could not be read or written, a run failed, an output failed.
inline constexpr int kExitFailure = 1;
// The command line or the config is wrong: unknown command or flag, a value out of range.
inline constexpr int kExitUsage = 2;
// The run diverged (NaN/inf loss).
inline constexpr int kExitDiverged = 3;
// The run trained but the store could not take all of it (locked, disk full): its
// records went to the JSON-lines fallback file named in the message.
inline constexpr int kExitNotStored = 4;
// The requested device cannot be used (--device cuda without a usable GPU or CUDA build).
inline constexpr int kExitNoDevice = 5;
// The run store is damaged (integrity check failed): `halflab-cli runs check` says where.
inline constexpr int kExitStoreDamaged = 6;
// Cancelled with Ctrl+C / SIGTERM (128 + SIGINT, as shells report it).
inline constexpr int kExitCancelled = 130;

}  // namespace halflab::cli
