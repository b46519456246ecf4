#include "execute.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

namespace harness {
namespace {

std::string fmt_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f s", s);
  return buf;
}

// Progress: a line redrawn in place on a terminal; on anything else (a CI
// log, a file) one line per finished entry, so a long run shows it is alive.
class Progress {
 public:
  Progress(const ExecuteOptions& options, std::size_t to_run)
      : passes_(options.passes), to_run_(to_run), started_(options.started) {
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    redraw_ = !options.quiet && terminal;
    lines_ = !options.quiet && !terminal;
  }

  void starting(int pass, std::size_t done, const PlannedEntry& p) const {
    if (!redraw_) return;
    std::cerr << "\r\x1b[K";
    if (passes_ > 1) std::cerr << "pass " << pass + 1 << "/" << passes_ << " ";
    std::cerr << "[" << done << "/" << to_run_ << "] " << p.spec.text() << " " << p.point.label()
              << " " << p.allocator->name << " x" << p.request.threads << "  (" << elapsed() << ")"
              << std::flush;
  }

  void finished(int pass, std::size_t done, const PlannedEntry& p,
                const WorkerOutcome& outcome) const {
    if (lines_) {
      std::cerr << "stalloc-bench: ";
      if (passes_ > 1) std::cerr << "pass " << pass + 1 << "/" << passes_ << " ";
      std::cerr << "[" << done << "/" << to_run_ << "] " << p.name() << " "
                << (outcome.status == WorkerOutcome::Status::ok            ? "done"
                    : outcome.status == WorkerOutcome::Status::interrupted ? "interrupted"
                                                                           : "FAILED")
                << " (" << elapsed() << ")\n";
    }
    if (outcome.status == WorkerOutcome::Status::failed)
      std::cerr << (redraw_ ? "\n" : "") << "stalloc-bench: " << p.spec.text() << " / "
                << p.allocator->name << " x" << p.request.threads << " failed: " << outcome.error
                << "\n";
  }

  void clear() const {
    if (redraw_) std::cerr << "\r\x1b[K" << std::flush;
  }

 private:
  std::string elapsed() const {
    return fmt_seconds(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  }
  int passes_;
  std::size_t to_run_;
  std::chrono::steady_clock::time_point started_;
  bool redraw_ = false;
  bool lines_ = false;
};

// Whether the entry gets a worker in this pass: planned to run, and every
// earlier worker of it succeeded.
bool runs_again(const PlannedEntry& p, const std::vector<WorkerOutcome>& earlier) {
  if (!p.status.empty()) return false;
  return earlier.empty() || earlier.back().status == WorkerOutcome::Status::ok;
}

}  // namespace

std::vector<std::vector<WorkerOutcome>> execute_plan(const std::vector<PlannedEntry>& plan,
                                                     const ExecuteOptions& options) {
  std::vector<std::vector<WorkerOutcome>> outcomes(plan.size());
  std::size_t to_run = 0;
  for (const PlannedEntry& p : plan) to_run += p.status.empty();
  const Progress progress(options, to_run);
  for (int pass = 0; pass < options.passes; ++pass) {
    std::size_t done = 0;
    for (std::size_t i = 0; i < plan.size(); ++i) {
      const PlannedEntry& p = plan[i];
      if (!runs_again(p, outcomes[i]) || interrupted()) continue;
      // A later pass only repeats the timing; the first measured the rest.
      if (pass > 0 && outcomes[i].size() != static_cast<std::size_t>(pass)) continue;
      ++done;
      progress.starting(pass, done, p);
      WorkerRequest request = p.request;
      request.timing_only = pass > 0;
      WorkerOutcome outcome = run_worker(request, p.preload);
      progress.finished(pass, done, p, outcome);
      outcomes[i].push_back(std::move(outcome));
    }
  }
  progress.clear();
  return outcomes;
}

}  // namespace harness
