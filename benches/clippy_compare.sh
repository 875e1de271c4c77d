#!/usr/bin/env bash
# Times `cargo clippy` and `cargo async-lint` on the same crate from cargo's source cache.
#
#   bash benches/clippy_compare.sh [crate-name] [clippy feature args]
#                       (default: tokio --features full, as fetched by corpus/; without features
#                        most of tokio is cfg'd out for rustc, while async-lint reads every file)
#
# The crate is copied to a temporary directory (the source cache is never written to), its
# dependencies are resolved (network: the registry only) and fetched. Then, each with its own
# state:
#   clippy cold      fresh target directory: dependencies and the crate are checked;
#   clippy edit      after touching src/lib.rs: the crate alone is checked again;
#   clippy no-op     nothing changed: cargo's fingerprints say so;
#   async-lint cold  --no-cache;
#   async-lint edit  after touching src/lib.rs (the cache is keyed by contents, so this is a hit;
#                    an edit that changes contents re-lints the package: that is the cold time);
# Times are wall-clock seconds on this machine, best of 3 for the fast rows.
set -euo pipefail
name="${1:-tokio}"
features="${2:---features full}"
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$(cargo metadata --format-version 1 --manifest-path "$root/corpus/Cargo.toml" |
  python3 -c "import json,sys; print([p['manifest_path'] for p in json.load(sys.stdin)['packages'] if p['name']=='$name'][0].rsplit('/',1)[0])")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$src" "$work/crate"
cd "$work/crate"
cargo generate-lockfile -q
cargo fetch -q
lint="$root/target/release/cargo-async-lint"
(cd "$root" && cargo build --release -q)

now() { date +%s.%N; }
# Wall time of a command; clippy must succeed, the linter may report findings (exit 1).
time_it() {
  local t0 rc=0
  t0=$(now)
  "$@" >/dev/null 2>"$work/stderr" || rc=$?
  if [ "$rc" -ne 0 ] && { [ "$1" = cargo ] || [ "$rc" -ne 1 ]; }; then
    cat "$work/stderr" >&2
    echo "failed ($rc): $*" >&2
    exit 1
  fi
  echo "$(now) - $t0" | bc
}
best3() { local b=999999 t; for _ in 1 2 3; do t=$(time_it "$@"); b=$(echo "if ($t < $b) $t else $b" | bc); done; echo "$b"; }

export CARGO_TARGET_DIR="$work/target"
clippy_cold=$(time_it cargo clippy --offline --lib $features)
touch src/lib.rs
clippy_edit=$(time_it cargo clippy --offline --lib $features)
clippy_noop=$(best3 cargo clippy --offline --lib $features)
lint_cold=$(best3 "$lint" src --no-cache --message-format short)
"$lint" src --message-format short >/dev/null 2>&1 || true
touch src/lib.rs
lint_warm=$(best3 "$lint" src --message-format short)

printf '%-18s %8s s\n' "clippy cold" "$clippy_cold" "clippy edit" "$clippy_edit" \
  "clippy no-op" "$clippy_noop" "async-lint cold" "$lint_cold" "async-lint warm" "$lint_warm"
printf 'clippy cold / async-lint cold: %.0fx; clippy edit / async-lint cold: %.1fx\n' \
  "$(echo "$clippy_cold / $lint_cold" | bc -l)" "$(echo "$clippy_edit / $lint_cold" | bc -l)"
