#!/usr/bin/env bash
# `npm run bench -- NAME [args…]`: runs bench/NAME.bench.ts (or bench/NAME.ts) with tsx after bringing the
# local environment up. Without NAME, lists the benchmarks. Figures go in bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
  echo "usage: npm run bench -- NAME [args…]; benchmarks:"
  for f in bench/*.ts; do n="$(basename "$f" .ts)"; echo "  ${n%.bench}"; done
  exit 0
fi
name="$1"; shift
file="bench/$name.bench.ts"
[ -f "$file" ] || file="bench/$name.ts"
[ -f "$file" ] || { echo "no benchmark named '$name' (bench/$name.bench.ts)" >&2; exit 2; }
[ -d node_modules ] || npm ci --no-audit --no-fund
bash env/up.sh >&2
exec npx tsx "$file" "$@"
