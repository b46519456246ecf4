// Recorded by scripts/record-traces: `g++ -std=c++20 -O2 -c` of this file
// (the trace is cc1plus, the compiler proper). A mid-sized translation unit:
// several standard headers, templates instantiated over a few types.
#include <algorithm>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace demo {

template <class K, class V>
class Cache {
 public:
  std::optional<V> get(const K& k) const {
    auto it = map_.find(k);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void put(K k, V v) {
    if (map_.size() >= limit_) map_.erase(map_.begin());
    map_.emplace(std::move(k), std::move(v));
  }

 private:
  std::unordered_map<K, V> map_;
  std::size_t limit_ = 128;
};

using Value = std::variant<int, double, std::string, std::vector<int>>;

struct Visitor {
  std::size_t operator()(int i) const { return static_cast<std::size_t>(i); }
  std::size_t operator()(double d) const { return static_cast<std::size_t>(d); }
  std::size_t operator()(const std::string& s) const { return s.size(); }
  std::size_t operator()(const std::vector<int>& v) const { return v.size(); }
};

std::size_t weigh(const std::vector<Value>& values) {
  std::size_t total = 0;
  for (const auto& v : values) total += std::visit(Visitor{}, v);
  return total;
}

std::map<std::string, std::vector<std::string>> group(const std::vector<std::string>& words) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& w : words) out[w.substr(0, 2)].push_back(w);
  for (auto& [k, v] : out) std::sort(v.begin(), v.end());
  return out;
}

int run() {
  Cache<std::string, int> a;
  Cache<int, std::string> b;
  Cache<std::string, std::vector<double>> c;
  a.put("x", 1);
  b.put(1, "x");
  c.put("y", {1.0, 2.0});
  std::vector<Value> values{1, 2.5, std::string("abc"), std::vector<int>{1, 2, 3}};
  std::vector<std::string> words{"alpha", "beta", "alpine", "betamax", "gamma"};
  auto groups = group(words);
  auto shared = std::make_shared<std::vector<int>>(100);
  std::iota(shared->begin(), shared->end(), 0);
  return static_cast<int>(weigh(values) + groups.size() + static_cast<std::size_t>(a.get("x").value_or(0)) +
                          std::accumulate(shared->begin(), shared->end(), 0));
}

}  // namespace demo

int main() { return demo::run() > 0 ? 0 : 1; }
