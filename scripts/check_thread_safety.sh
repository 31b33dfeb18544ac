#!/usr/bin/env bash
# Runs clang's thread-safety analysis over every .cc file under src/ and apps/: syntax only (no
# code generation), each file with the include paths and defines of its entry in a CMake
# compile_commands.json. Fails if any file has a warning of the thread-safety group or does not
# compile with clang (it could not be checked).
#
#   scripts/check_thread_safety.sh [BUILD_DIR [PATH...]] [--no-tests]
#     BUILD_DIR   a configured CMake build dir holding compile_commands.json (default
#                 build/release, as `cmake --preset release` makes it)
#     PATH...     check only the files at or under these paths (e.g. src/stream)
#     --no-tests  skip *_test.cc (checked by default: tests take the same locks)
#   Environment: CLANG (default /usr/bin/clang++), JOBS (files checked at once, default 2).
#
# From each database entry it keeps -I/-isystem/-iquote/-idirafter, -D/-U, -include, -std=, -m*
# and -f* flags (minus gcc-only ones clang rejects); warning, optimization, debug and output
# flags are dropped, so only the thread-safety group is reported. A .cc file that is not in the
# database (added since the build dir was configured) is checked with the flags of a file in the
# same directory, and a note says so.
#
# Speed: most of a file's parse time is the standard library, abseil, nlohmann/json and
# GoogleTest. So files are grouped by their flags (and test or not), and each group first builds
# a precompiled header of those (no code generation either); its files then parse it with
# -include-pch. A group whose header does not build is checked without one.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
build_dir=
with_tests=1
paths=()
for arg in "$@"; do
  case "$arg" in
    --no-tests) with_tests=0 ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $arg" >&2; exit 2 ;;
    *)
      if [[ -z "$build_dir" ]]; then
        build_dir=$arg
      else
        paths+=("$(realpath -m "$arg")")
      fi
      ;;
  esac
done
build_dir=${build_dir:-build/release}
[[ "$build_dir" = /* ]] || build_dir="$root/$build_dir"
db="$build_dir/compile_commands.json"
if [[ ! -f "$db" ]]; then
  echo "no $db: configure the build dir first (cmake --preset release)" >&2
  exit 2
fi
clang=${CLANG:-/usr/bin/clang++}
jobs=${JOBS:-2}
# -Wthread-safety = -analysis, -attributes, -precise, -reference. -beta adds the newer checks
# (lock order: ABSL_ACQUIRED_BEFORE/AFTER); the tree is clean with it, so it is on.
ts_flags=(-Wthread-safety -Wthread-safety-beta -Werror=thread-safety -Werror=thread-safety-beta)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS

# Writes the precompiled headers' sources and build commands ($work/pch/GG.h, GG.sh), one shell
# command per file to check ($work/cmd/NNNN.sh: cd to the entry's directory, exec clang), the
# file's path relative to the root beside it (NNNN.file), and notes.
python3 - "$db" "$root" "$with_tests" "$work" "$clang" "$(printf '%s\n' "${paths[@]}")" \
  "${ts_flags[@]}" <<'PY'
import json, os, shlex, sys

db, root, with_tests, work, clang, paths = sys.argv[1:7]
ts_flags = sys.argv[7:]
paths = [p for p in paths.split("\n") if p]
with_tests = with_tests == "1"

# gcc-only flags clang rejects or warns about (-f and -m are otherwise kept).
# What the precompiled headers hold: heavy, stable, and included by most files.
PCH_HEADERS = [f"<{h}>" for h in (
    "algorithm", "array", "atomic", "chrono", "condition_variable", "cstdint", "cstring", "deque",
    "filesystem", "fstream", "functional", "iostream", "map", "memory", "mutex", "optional",
    "random", "set", "sstream", "string", "string_view", "thread", "unordered_map", "utility",
    "variant", "vector")] + [f'"{h}"' for h in (
    "absl/base/thread_annotations.h", "absl/container/flat_hash_map.h",
    "absl/container/flat_hash_set.h", "absl/status/status.h", "absl/status/statusor.h",
    "absl/strings/str_cat.h", "absl/strings/str_format.h", "absl/types/span.h",
    "nlohmann/json.hpp")]
PCH_TEST_HEADERS = ['"gtest/gtest.h"', '"gmock/gmock.h"']

GCC_ONLY = {"-fno-semantic-interposition", "-fconcepts-diagnostics-depth", "-fno-gnu-unique",
            "-fmax-errors", "-fno-canonical-system-headers", "-mno-direct-extern-access"}
KEEP_WITH_VALUE = {"-I", "-isystem", "-iquote", "-idirafter", "-D", "-U", "-include"}
DROP_WITH_VALUE = {"-o", "-MF", "-MT", "-MQ", "-x", "-Xclang"}

def kept_flags(args):
    out, i = [], 1  # args[0] is the compiler
    while i < len(args):
        a = args[i]
        if a in KEEP_WITH_VALUE | DROP_WITH_VALUE and i + 1 < len(args):
            # The build's own precompiled header (CMake's cmake_pch.hxx, its .gch or .pch made by
            # that compiler) is left out: the groups below make their own.
            if a in KEEP_WITH_VALUE and not args[i + 1].endswith("cmake_pch.hxx"):
                out += [a, args[i + 1]]
            i += 2
            continue
        i += 1
        if a.startswith(("-I", "-isystem", "-iquote", "-idirafter", "-D", "-U", "-std=")):
            out.append(a)
        elif a.startswith(("-f", "-m")) and a.split("=")[0] not in GCC_ONLY:
            out.append(a)
        elif a == "-pthread":
            out.append(a)
        # Dropped: the source file, -W*, -O*, -g*, -c, -M*.
    return out

by_file = {}
for e in json.load(open(db)):
    args = e["arguments"] if "arguments" in e else shlex.split(e["command"])
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    by_file[f] = (e["directory"], kept_flags(args))

def wanted(path):
    rel = os.path.relpath(path, root)
    if not rel.startswith(("src/", "apps/")) or not rel.endswith(".cc"):
        return False
    if paths and not any(path == p or path.startswith(p + "/") for p in paths):
        return False
    return with_tests or not rel.endswith("_test.cc")

files = []
for top in ("src", "apps"):
    for d, _, names in os.walk(os.path.join(root, top)):
        files += [os.path.join(d, n) for n in names if wanted(os.path.join(d, n))]
files.sort()

os.makedirs(os.path.join(work, "cmd"))
os.makedirs(os.path.join(work, "pch"))
notes = []
groups = {}  # (directory, flags, is_test) -> the group's precompiled header path

def pch_for(directory, flags, is_test):
    key = (directory, tuple(flags), is_test)
    if key not in groups:
        base = os.path.join(work, "pch", f"{len(groups):02d}")
        with open(base + ".h", "w") as out:
            for h in PCH_HEADERS + (PCH_TEST_HEADERS if is_test else []):
                out.write(f"#include {h}\n")
        cmd = [clang, "-x", "c++-header", *flags, base + ".h", "-o", base + ".pch.tmp"]
        with open(base + ".sh", "w") as out:
            out.write(f"cd {shlex.quote(directory)} && {shlex.join(cmd)} && "
                      f"mv {shlex.quote(base + '.pch.tmp')} {shlex.quote(base + '.pch')}\n")
        groups[key] = base + ".pch"
    return groups[key]

for n, f in enumerate(files):
    rel = os.path.relpath(f, root)
    if f in by_file:
        directory, flags = by_file[f]
    else:
        # The flags of a file in the same directory (a test's for a test, if there is one), else
        # in the nearest parent that has one.
        d, pick = os.path.dirname(f), None
        while pick is None and d.startswith(root):
            near = sorted(k for k in by_file if os.path.dirname(k) == d)
            alike = [k for k in near if k.endswith("_test.cc") == f.endswith("_test.cc")]
            pick = (alike or near or [None])[0]
            d = os.path.dirname(d)
        if pick is None:
            notes.append(f"{rel}: not in the database, nor any file near it: skipped")
            continue
        notes.append(f"{rel}: not in the database: checked with the flags of "
                     f"{os.path.relpath(pick, root)}")
        directory, flags = by_file[pick]
    pch = pch_for(directory, flags, rel.endswith("_test.cc"))
    cmd = [clang, "-fsyntax-only", *flags, *ts_flags, "-fno-color-diagnostics", f]
    with_pch = cmd[:2] + ["-include-pch", pch] + cmd[2:]
    with open(os.path.join(work, "cmd", f"{n:04d}.sh"), "w") as out:
        out.write(f"cd {shlex.quote(directory)} || exit\n"
                  f"if [ -f {shlex.quote(pch)} ]; then exec {shlex.join(with_pch)}; fi\n"
                  f"exec {shlex.join(cmd)}\n")
    with open(os.path.join(work, "cmd", f"{n:04d}.file"), "w") as out:
        out.write(rel + "\n")
with open(os.path.join(work, "notes"), "w") as out:
    out.write("".join(line + "\n" for line in notes))
PY

if [[ -s "$work/notes" ]]; then sed 's/^/note: /' "$work/notes"; fi

# The precompiled headers, `jobs` at a time. One that fails leaves its group without (slower).
find "$work/pch" -name '*.sh' -print0 | sort -z |
  xargs -0 -r -P "$jobs" -n 1 bash -c 'bash "$1" >"${1%.sh}.out" 2>&1 ||
    echo "note: no precompiled header for ${1%.sh}.h: $(head -c 300 "${1%.sh}.out")"' _

# `jobs` files at a time; each leaves NNNN.out (clang's messages) and NNNN.rc.
find "$work/cmd" -name '*.sh' -print0 | sort -z |
  xargs -0 -r -P "$jobs" -n 1 bash -c 'bash "$1" >"${1%.sh}.out" 2>&1; echo $? >"${1%.sh}.rc"' _

checked=0
ts_failed=()
compile_failed=()
for cmd in "$work"/cmd/*.sh; do
  [[ -e "$cmd" ]] || continue
  base=${cmd%.sh}
  file=$(<"$base.file")
  checked=$((checked + 1))
  if grep -q -- '-Wthread-safety' "$base.out"; then
    ts_failed+=("$file")
    echo "=== $file: thread-safety"
    cat "$base.out"
  elif [[ "$(<"$base.rc")" != 0 ]]; then
    compile_failed+=("$file")
    echo "=== $file: does not compile with $clang (not checked)"
    cat "$base.out"
  fi
done

echo "checked $checked files in $((SECONDS - start)) s, $jobs at a time:" \
  "${#ts_failed[@]} with thread-safety warnings, ${#compile_failed[@]} that do not compile"
for f in "${ts_failed[@]}"; do echo "  thread-safety: $f"; done
for f in "${compile_failed[@]}"; do echo "  compile error: $f"; done
if ((${#ts_failed[@]} + ${#compile_failed[@]} > 0)); then exit 1; fi
