// The foryou binary: one executable, one subcommand per job. Flags and wiring only.
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "embedding/embedding_bench.h"

int main(int argc, char** argv) {
  CLI::App app{"foryou: the For You feed engine"};
  app.require_subcommand(1);

  CLI::App* version = app.add_subcommand("version", "Print the version");
  version->callback([] { std::cout << "foryou " << FORYOU_VERSION << "\n"; });

  CLI::App* bench = app.add_subcommand("bench", "Run a benchmark");
  bench->require_subcommand(1);
  foryou::embedding::EmbeddingBenchOptions eopts;
  CLI::App* bench_embedding = bench->add_subcommand(
      "embedding", "Embedding table vs libcuckoo vs std::unordered_map (same process)");
  bench_embedding->add_option("--keys", eopts.distinct_keys, "Distinct ids")->check(CLI::Range(1000ull, 1000000000ull));
  bench_embedding->add_option("--ops", eopts.ops, "Operations per workload")->check(CLI::Range(1000ull, 10000000000ull));
  bench_embedding->add_option("--batch", eopts.batch, "Keys per batch")->check(CLI::Range(1u, 1u << 20));
  bench_embedding->add_option("--dims", eopts.dims, "Embedding dimensions")->check(CLI::Range(1u, 1024u));
  bench_embedding->add_option("--zipf", eopts.zipf_s, "Zipf exponent")->check(CLI::Range(0.0, 5.0));
  bench_embedding->add_option("--seed", eopts.seed, "Random seed");
  bench_embedding->add_flag("!--no-unordered-map", eopts.run_unordered_map,
                            "Skip the std::unordered_map baseline");
  int exit_code = 0;
  bench_embedding->callback([&] {
    absl::Status s = foryou::embedding::RunEmbeddingBench(eopts, std::cout);
    if (!s.ok()) {
      std::cerr << "foryou bench embedding: " << s << "\n";
      exit_code = 1;
    }
  });

  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
