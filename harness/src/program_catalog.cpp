#include "program_catalog.hpp"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace harness {
namespace {

using nlohmann::json;

std::vector<std::string> strings(const json& a, const std::string& where) {
  if (!a.is_array() || a.empty()) throw std::runtime_error(where + " must be a non-empty array");
  std::vector<std::string> out;
  for (const json& s : a) {
    if (!s.is_string() || s.get<std::string>().empty())
      throw std::runtime_error(where + " must hold non-empty strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace

std::string program_catalog_dir() {
  if (const char* env = std::getenv("STALLOC_BENCH_PROGRAMS_DIR"); env != nullptr && *env)
    return env;
#ifdef STALLOC_BENCH_PROGRAMS_DIR
  return STALLOC_BENCH_PROGRAMS_DIR;
#else
  return "workloads/programs";
#endif
}

std::vector<CatalogProgram> load_program_catalog(const std::string& dir) {
  const std::string path = dir + "/catalog.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read the program catalog");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": not JSON: " + e.what());
  }
  if (!doc.is_object() || !doc.contains("programs") || !doc["programs"].is_array())
    throw std::runtime_error(path + ": no \"programs\" array");
  static const std::set<std::string> kKnown = {
      "name", "description", "packages", "setup", "command", "env", "threads", "compare_output"};
  std::vector<CatalogProgram> out;
  std::set<std::string> names;
  for (const json& p : doc["programs"]) {
    const std::string where = path + ": program " + std::to_string(out.size() + 1);
    if (!p.is_object()) throw std::runtime_error(where + " is not an object");
    for (const auto& [key, value] : p.items())
      if (!kKnown.contains(key)) throw std::runtime_error(where + ": unknown field '" + key + "'");
    CatalogProgram c;
    if (!p.contains("name") || !p["name"].is_string())
      throw std::runtime_error(where + ": no name");
    c.name = p["name"];
    if (c.name.empty() || c.name.find_first_of(" /,:\t") != std::string::npos)
      throw std::runtime_error(where + ": name '" + c.name + "' must be a plain word");
    if (!names.insert(c.name).second)
      throw std::runtime_error(where + ": name '" + c.name + "' given twice");
    const std::string at = path + ": " + c.name;
    if (!p.contains("description") || !p["description"].is_string())
      throw std::runtime_error(at + ": no description");
    c.description = p["description"];
    c.packages = strings(p.value("packages", json()), at + ": packages");
    c.command = strings(p.value("command", json()), at + ": command");
    if (p.contains("setup")) {
      if (!p["setup"].is_array()) throw std::runtime_error(at + ": setup must be an array");
      for (const json& s : p["setup"]) c.setup.push_back(strings(s, at + ": setup command"));
    }
    if (p.contains("env")) {
      if (!p["env"].is_object()) throw std::runtime_error(at + ": env must be an object");
      for (const auto& [k, v] : p["env"].items()) {
        if (!v.is_string() || k.empty() || k.find('=') != std::string::npos)
          throw std::runtime_error(at + ": env must map names to strings");
        c.env[k] = v.get<std::string>();
      }
    }
    if (!p.contains("threads") || !p["threads"].is_number_integer() || p["threads"].get<int>() < 1)
      throw std::runtime_error(at + ": threads must be a whole number >= 1");
    c.threads = p["threads"];
    if (p.contains("compare_output")) {
      if (!p["compare_output"].is_boolean())
        throw std::runtime_error(at + ": compare_output must be true or false");
      c.compare_output = p["compare_output"];
    }
    out.push_back(std::move(c));
  }
  if (out.empty()) throw std::runtime_error(path + ": the catalog lists no program");
  return out;
}

std::string expand_placeholders(const std::string& s, const std::string& programs,
                                const std::string& work) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s.compare(i, 10, "{programs}") == 0) {
      out += programs;
      i += 10;
    } else if (s.compare(i, 6, "{work}") == 0) {
      out += work;
      i += 6;
    } else {
      out += s[i++];
    }
  }
  return out;
}

}  // namespace harness
