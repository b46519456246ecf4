// --list: every workload and allocator, with availability (a probe worker
// per preloaded library), as text or, with --format json, as one document
// with their declared traits for the scripts.
#include <iostream>

#include "allocator_availability.hpp"
#include "app.hpp"
#include "catalog.hpp"
#include "plan.hpp"
#include "program_catalog.hpp"

namespace harness {
namespace {

using nlohmann::json;

std::map<std::string, Availability> probe_catalog() {
  std::vector<const AllocatorEntry*> allocators;
  for (const AllocatorEntry& a : allocator_catalog()) allocators.push_back(&a);
  return probe_allocators(allocators);
}

int list_catalog_json() {
  const auto availability = probe_catalog();
  json workloads = json::array();
  for (const WorkloadEntry& w : workload_catalog()) {
    json j = {{"name", w.name}, {"description", w.description}};
    j.update(workload_traits_json(w));
    workloads.push_back(std::move(j));
  }
  json allocators = json::array();
  for (const AllocatorEntry& a : allocator_catalog())
    allocators.push_back(allocator_json(a, availability.at(a.name)));
  std::cout << json{{"workloads", workloads}, {"allocators", allocators}}.dump(2) << "\n";
  return 0;
}

// "name" padded to a column of 20.
std::string column(const std::string& name) {
  return "  " + name + std::string(name.size() < 20 ? 20 - name.size() : 1, ' ');
}

}  // namespace

int list_catalog(Format format) {
  if (format == Format::json) return list_catalog_json();
  std::cout << "Workloads (--workload NAME, NAME:key=value for one sweep point, or all):\n";
  for (const WorkloadEntry& w : workload_catalog()) {
    std::cout << column(w.name) << w.description << "  [arena " << w.arena.blocks << " x "
              << w.arena.block_size << " B" << (w.multithreaded ? ", multithreaded" : "") << "]\n";
    if (w.needs_input) {
      std::cout << std::string(22, ' ') << "argument: " << w.name << ":FILE\n";
      continue;
    }
    workloads::Options full;
    workloads::Options quick;
    quick.quick = true;
    const auto points = w.points(full);
    if (points.size() > 1 || (!points.empty() && !points.front().name.empty()))
      std::cout << std::string(22, ' ') << "points: " << point_labels(points) << "\n"
                << std::string(22, ' ') << "quick points: " << point_labels(w.points(quick))
                << "\n";
  }
  std::cout << "\nPrograms (--workload program:NAME[,program:NAME...] or program:all; the same "
               "run as `run --program`):\n";
  try {
    for (const CatalogProgram& c : load_program_catalog(program_catalog_dir()))
      std::cout << column("program:" + c.name) << c.description
                << (c.threads > 1 ? " [" + std::to_string(c.threads) + " threads]" : "") << "\n";
  } catch (const std::exception& e) {
    std::cout << "  (the program catalog cannot be read: " << e.what() << ")\n";
  }
  const auto availability = probe_catalog();
  std::cout << "\nAllocators (--allocator NAME[,NAME...]):\n";
  for (const AllocatorEntry& a : allocator_catalog()) {
    const Availability& av = availability.at(a.name);
    std::cout << column(a.name) << a.description << (a.thread_safe ? "" : " [single thread]")
              << (av.available ? "" : "  UNAVAILABLE: " + av.reason) << "\n";
  }
  return 0;
}

}  // namespace harness
