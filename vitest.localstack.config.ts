import { defineConfig } from 'vitest/config';

// Opt-in suite (`npm run test:localstack`): the AWS lifecycle against whatever endpoint
// AWS_ENDPOINT_URL names (LocalStack, moto_server). Not part of `npm test`.
export default defineConfig({
  test: {
    include: ['test/localstack/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
