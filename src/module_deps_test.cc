// The module graph of the top-level CMakeLists.txt (FORYOU_MODULE_DEPS) holds in the code: it has
// no cycle, every file under src/<module>/ (tests too) includes only its own module and the
// modules its module may use, and every foryou_* library links only those.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace {

namespace fs = std::filesystem;
using Graph = std::map<std::string, std::vector<std::string>>;

// "common: embedding:common model:embedding ..." -> {common: [], embedding: [common], ...}.
Graph ParseTable(const std::string& text) {
  Graph g;
  for (absl::string_view entry : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(entry, ':');
    std::vector<std::string>& deps = g[parts[0]];
    if (parts.size() > 1) deps = absl::StrSplit(parts[1], ',', absl::SkipEmpty());
  }
  return g;
}

// Every module reachable from `m` through the table, `m` included.
std::set<std::string> Allowed(const Graph& g, const std::string& m) {
  std::set<std::string> seen = {m};
  std::vector<std::string> todo = {m};
  while (!todo.empty()) {
    const std::string x = todo.back();
    todo.pop_back();
    auto it = g.find(x);
    if (it == g.end()) continue;
    for (const std::string& d : it->second) {
      if (seen.insert(d).second) todo.push_back(d);
    }
  }
  return seen;
}

const Graph& Table() {
  static const Graph* g = new Graph(ParseTable(FORYOU_MODULE_DEPS));
  return *g;
}

TEST(ModuleDepsTest, TableNamesOnlyModulesAndHasNoCycle) {
  const Graph& g = Table();
  ASSERT_GE(g.size(), 10u);
  for (const auto& [m, deps] : g) {
    EXPECT_TRUE(fs::is_directory(fs::path(FORYOU_SOURCE_DIR) / "src" / m)) << m;
    for (const std::string& d : deps) {
      EXPECT_TRUE(g.contains(d)) << m << " uses " << d << ", which is not a module";
      // A cycle: m reachable from one of its own dependencies.
      EXPECT_FALSE(Allowed(g, d).contains(m)) << m << " and " << d << " use each other";
    }
  }
  // Every directory under src/ is a module of the table.
  for (const fs::directory_entry& e : fs::directory_iterator(fs::path(FORYOU_SOURCE_DIR) / "src")) {
    if (e.is_directory()) {
      EXPECT_TRUE(g.contains(e.path().filename().string())) << e.path();
    }
  }
}

// The first path component of each `#include "x/..."` of a file.
std::vector<std::pair<int, std::string>> IncludedModules(const fs::path& file) {
  std::vector<std::pair<int, std::string>> out;
  std::ifstream in(file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string kPrefix = "#include \"";
    if (!line.starts_with(kPrefix)) continue;
    const size_t slash = line.find('/', kPrefix.size());
    if (slash == std::string::npos) continue;
    out.emplace_back(n, line.substr(kPrefix.size(), slash - kPrefix.size()));
  }
  return out;
}

TEST(ModuleDepsTest, EveryIncludeIsAllowed) {
  const Graph& g = Table();
  int files = 0;
  for (const auto& [m, deps] : g) {
    const std::set<std::string> allowed = Allowed(g, m);
    for (const fs::directory_entry& e :
         fs::recursive_directory_iterator(fs::path(FORYOU_SOURCE_DIR) / "src" / m)) {
      const std::string ext = e.path().extension().string();
      if (ext != ".h" && ext != ".cc" && ext != ".in") continue;
      ++files;
      for (const auto& [line, inc] : IncludedModules(e.path())) {
        // Other first components (absl, rocksdb, gtest, ...) are libraries, not modules.
        if (!g.contains(inc)) continue;
        EXPECT_TRUE(allowed.contains(inc))
            << e.path().string() << ":" << line << ": module " << m << " includes " << inc
            << "/; it may use " << absl::StrJoin(allowed, ", ");
      }
    }
  }
  EXPECT_GT(files, 100);
}

TEST(ModuleDepsTest, EveryLinkIsAllowed) {
  const Graph& g = Table();
  std::ifstream in(FORYOU_MODULE_LINKS);
  ASSERT_TRUE(in.good()) << FORYOU_MODULE_LINKS;
  std::string module, target, dep;
  int links = 0;
  while (in >> module >> target >> dep) {
    ++links;
    EXPECT_TRUE(Allowed(g, module).contains(dep))
        << target << " (module " << module << ") links module " << dep;
  }
  EXPECT_GT(links, 10);
}

// The checks can fail: a made-up table with a cycle, and a module that reaches upward.
TEST(ModuleDepsTest, TheChecksCatchViolations) {
  const Graph g = ParseTable("a: b:a c:b");
  EXPECT_TRUE(Allowed(g, "c").contains("a"));
  EXPECT_FALSE(Allowed(g, "a").contains("c"));
  const Graph cyclic = ParseTable("a:c b:a c:b");
  EXPECT_TRUE(Allowed(cyclic, "b").contains("c"));  // so the cycle check above would fire
}

}  // namespace
