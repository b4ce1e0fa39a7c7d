import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests that live beside the code, and integration/e2e tests in test/
// that start real servers (s3rver, the local edge) on free ports.
// The SDK's notice that its 2027 releases need Node 22 (this machine has 20; the lockfile pins a
// release that runs on it, and the deployed functions run on nodejs22.x).
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['functions/**/*.test.ts', 'infra/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
