import { defineConfig } from 'vitest/config';

// The soak (test/soak): a local cluster under kill -9, malformed requests and mixed traffic for
// SOAK_SECONDS (npm run soak: 600 s; npm run test:soak, in `npm test`: 120 s). Not part of the
// default `vitest run`. Needs dist/ (npm run build).
export default defineConfig({
  test: {
    include: ['test/soak/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
