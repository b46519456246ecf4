// Output files (--out, --gbench-out): checked before the run, written after
// it without ever clobbering what the path names.
//   - a regular file, or a path that does not exist yet: written to a
//     temporary file in the same directory and renamed over it, so a reader
//     never sees half a file;
//   - a symlink to a regular file: the same, on the file it points to (the
//     link stays a link);
//   - a device or FIFO (/dev/null, /dev/stdout, a shell's >(...)): written
//     through, never replaced;
//   - anything else (a directory, a socket, a dangling symlink): refused.
#pragma once

#include <string>

namespace harness {

// Why `path` cannot receive the output (empty: it can), found before any
// work: a new file must be creatable in its directory (tried, then removed)
// and an existing file must open for writing. `option` names the flag in the
// message ("--out").
std::string unwritable_reason(const std::string& option, const std::string& path);

// Where a run's results go without --out: `<dir>/<stem>-<UTC time>.json`,
// dir being $STALLOC_BENCH_RESULTS_DIR, else ./results of the directory the
// user stands in (never the source tree the binary came from: a user's runs
// are theirs, not the repository's). Creates the directory when it can.
std::string default_results_path(const std::string& stem);

// Writes `content` as described above. Throws std::runtime_error.
void write_output(const std::string& path, const std::string& content);

}  // namespace harness
