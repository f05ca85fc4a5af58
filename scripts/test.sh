#!/usr/bin/env bash
# The README's test command (`npm test`): installs what is missing, runs the static checks, brings the local
# environment up (env/up.sh is idempotent) and runs every test suite with coverage.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "dependencies"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

step "typecheck"; npx tsc -p tsconfig.json --noEmit
step "lint"; npx eslint .
step "format"; npx prettier --check .
if npm run | grep -q 'schema:check'; then step "schema"; npm run --silent schema:check; fi
step "build"; npm run --silent build

step "environment"; bash env/up.sh

step "tests"; npx vitest run --coverage "$@"
