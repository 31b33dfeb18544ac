# The front door. Every target installs what it needs first (scripts/install_deps.sh).
#   make build  - release binaries in build/release/ (the engine: build/release/foryou, the
#                 benchmarks; no tests) and the web app in web/dist/ (npm packages pinned by
#                 web/package-lock.json)
#   make test   - scripts/test.sh: the whole tree built with clang under ASan+UBSan (with
#                 -Wthread-safety -Werror) and every unit and integration test in it, the browser
#                 tests (chromium + Playwright) against that binary, the concurrency tests under
#                 TSan; prints each stage's time at the end
#   make test-release - the GCC release build with every test, run there
#   make demo   - builds and runs the main job: `foryou serve` on the KuaiRand-Pure demo catalog
#                 (imported and trained on first start into demo-data/, clips made with ffmpeg),
#                 with the player at http://127.0.0.1:8080/ (sign up there)
#   make demo-cluster - the same catalog served by a cluster: a mock Kafka cluster, a trainer, two
#                 API replicas and haproxy in front of them (scripts/demo_cluster.sh)
#   make bench  - the embedding benchmark at full size; bench/feed_load.sh for the feed service
#   make fuzz   - scripts/fuzz.sh: builds the libFuzzer targets (fuzz/, clang, ASan+UBSan) and
#                 fuzzes each for FUZZ_SECONDS (default 60) from its corpus; the last line is
#                 `fuzz targets=N execs=M crashes=K` (non-zero exit on a crash)
JOBS ?= $(shell nproc)
CTEST_ARGS ?= --output-on-failure --no-tests=error -j $(JOBS)

.PHONY: deps build web test test-release test-web test-asan test-tsan demo demo-cluster bench fuzz slow clean screenshots

deps:
	@bash scripts/install_deps.sh

build: deps web
	@cmake --preset release -DFORYOU_TESTS_IN_ALL=OFF >/dev/null
	@cmake --build --preset release -j $(JOBS)

# The web app: npm ci when the lock file changed, esbuild when a source changed.
WEB_SOURCES := $(wildcard web/src/*) web/build.mjs
web: web/dist/index.html
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && node build.mjs

test: deps
	@JOBS=$(JOBS) bash scripts/test.sh

test-release: deps
	@JOBS=$(JOBS) STAGES=release bash scripts/test.sh

# Browser tests: Debian's chromium driven by playwright-core against a real `foryou serve`.
test-web: build
	cd web && node --test test/

# Runs the browser tests and keeps their screenshots as the README's (docs/screenshots/).
screenshots: build
	cd web && SCREENSHOTS_DIR=../docs/screenshots node --test test/

test-asan: deps
	@JOBS=$(JOBS) STAGES=asan bash scripts/test.sh

test-tsan: deps
	@JOBS=$(JOBS) STAGES=tsan bash scripts/test.sh

# Tests too long for every run (labelled slow).
slow: build
	@cmake --build --preset release -j $(JOBS) --target tests_slow
	cd build/release && ctest $(CTEST_ARGS) -L slow

DEMO_DIR ?= demo-data
DEMO_PORT ?= 8080
demo: build
	@bash scripts/make_clips.sh --kuairand $(DEMO_DIR)/media demo/kuairand
	./build/release/foryou serve --data-dir $(DEMO_DIR) --port $(DEMO_PORT) --import demo/kuairand \
	  --seed-log demo/kuairand/log_standard_20220425_20220430.csv.zst \
	  --static-dir web/dist --media-dir $(DEMO_DIR)/media

# The cluster demo shares the demo's clips; its processes keep their state in DEMO_CLUSTER_DIR.
DEMO_CLUSTER_DIR ?= demo-cluster-data
demo-cluster: build
	@bash scripts/make_clips.sh --kuairand $(DEMO_DIR)/media demo/kuairand
	@DEMO_PORT=$(DEMO_PORT) bash scripts/demo_cluster.sh $(DEMO_CLUSTER_DIR) $(DEMO_DIR)/media

bench: build
	./build/release/foryou bench embedding --keys 2000000 --ops 4000000

fuzz: deps
	@JOBS=$(JOBS) bash scripts/fuzz.sh

clean:
	rm -rf build web/dist
