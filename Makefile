# The front door. Every target installs what it needs first (scripts/install_deps.sh).
#   make build  - release binaries in build/release/ (the engine: build/release/foryou)
#   make test   - every unit test in release, then under ASan+UBSan, then the concurrency
#                 tests under TSan
#   make demo   - builds and runs the main job: `foryou serve` on the KuaiRand-Pure demo catalog
#                 (imported and trained on first start into demo-data/), at http://127.0.0.1:8080/
#   make bench  - the embedding benchmark at full size; bench/feed_load.sh for the feed service
JOBS ?= $(shell nproc)
CTEST_ARGS ?= --output-on-failure --no-tests=error -j $(JOBS)

.PHONY: deps build test test-release test-asan test-tsan demo bench slow clean

deps:
	@bash scripts/install_deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

test: test-release test-asan test-tsan

test-release: build
	cd build/release && ctest $(CTEST_ARGS) -L unit

test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	cd build/asan && ctest $(CTEST_ARGS) -L unit

test-tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS)
	cd build/tsan && TSAN_OPTIONS=halt_on_error=1 ctest $(CTEST_ARGS) -L concurrency

slow: build
	cd build/release && ctest $(CTEST_ARGS) -L slow

DEMO_DIR ?= demo-data
DEMO_PORT ?= 8080
demo: build
	./build/release/foryou serve --data-dir $(DEMO_DIR) --port $(DEMO_PORT) --import demo/kuairand \
	  --seed-log demo/kuairand/log_standard_20220425_20220430.csv.zst

bench: build
	./build/release/foryou bench embedding --keys 2000000 --ops 4000000

clean:
	rm -rf build
