#!/bin/sh
# `npm run test:e2e`: the end-to-end suite, confined by scripts/e2e-confine.sh (read it for why).
# Extra arguments go to vitest, e.g. `npm run test:e2e -- test/e2e/host-manager.test.ts`.
set -eu
cd "$(dirname "$0")/.."
exec sh scripts/e2e-confine.sh node_modules/.bin/vitest run -c vitest.e2e.config.ts "$@"
