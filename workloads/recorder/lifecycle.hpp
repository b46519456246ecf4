// Starting and finishing a recording: the library constructor, the exit
// paths (destructor, _exit, quick_exit, exec) and the signal handlers.
#pragma once

#include <signal.h>

#include <cstdint>

namespace recorder {

// The next global sequence number: a new block's id, or a free's place.
std::uint64_t next_seq();

// Writes the trace and ends the recording. Async-signal-safe, bounded, and
// safe to call from any thread any number of times: the first call does
// the work; a concurrent call from another thread waits for it (bounded).
void finalize();

// Before this process image is replaced by exec: writes its trace as a side
// file (FILE.<program>.<pid>), so that the new image, same pid, can record
// under the name this one had.
void finish_before_exec();

// The recorder's handlers are invisible to the program: its handler reads
// as the default action, and a program that sets the default action for a
// terminating signal while recording gets the recorder's handler instead
// (the default plus the trace). `act` is what the program asked for; the
// result is what to install.
void hide_recorder_handler(struct sigaction& sa);
const struct sigaction* handler_to_install(int sig, const struct sigaction* act,
                                           struct sigaction& storage);

}  // namespace recorder
