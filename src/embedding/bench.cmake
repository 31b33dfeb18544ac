# The embedding bench (`foryou bench embedding`): foryou's table against libcuckoo and
# std::unordered_map. Included from this directory's CMakeLists.txt.
add_library(foryou_embedding_bench
  bench_baselines.cc
  embedding_bench.cc
)
target_link_libraries(foryou_embedding_bench PUBLIC foryou_embedding absl::status
  absl::statusor absl::strings absl::str_format absl::span libcuckoo::libcuckoo Threads::Threads)

foryou_test(zipf_test unit SOURCES zipf_test.cc LIBS foryou_embedding)
foryou_test(embedding_bench_test unit_concurrency SOURCES embedding_bench_test.cc
  LIBS foryou_embedding_bench)
