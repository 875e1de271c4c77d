#!/usr/bin/env bash
# Lints every package of the real-world corpus (corpus/Cargo.toml's dependency tree, fetched into
# cargo's source cache, never built) with every lint on, as cargo JSON, into OUT.
#
#   bash benches/corpus_run.sh target/release/cargo-async-lint /tmp/after.json
#
# Run it with the binary before and after a change and compare: `cmp` for a refactor (the output
# must be byte-identical), `diff <(grep -o '"rendered":"[^"]*' before.json) <(...)` to read what
# a detection change adds or removes. Needs the corpus fetched once:
# `cargo fetch --manifest-path corpus/Cargo.toml`.
set -euo pipefail
bin=${1:?usage: corpus_run.sh BINARY OUT}
out=${2:?usage: corpus_run.sh BINARY OUT}
root=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t dirs < <(
    cargo metadata --format-version 1 --offline --manifest-path "$root/corpus/Cargo.toml" |
        grep -o '"manifest_path":"[^"]*"' |
        sed -e 's/^"manifest_path":"//' -e 's/"$//' -e 's#/Cargo.toml$##' |
        grep -v "^$root/corpus$" | sort -u
)
echo "${#dirs[@]} packages" >&2
status=0
"$bin" "${dirs[@]}" -W all --message-format json --no-cache >"$out" || status=$?
# 0: no findings, 1: findings; anything else is a failure of the tool.
[ "$status" -le 1 ] || { echo "exit $status" >&2; exit "$status"; }
echo "$(grep -c '"reason":"compiler-message"' "$out") findings in $out" >&2
