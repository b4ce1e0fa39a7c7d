import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Four projects: unit tests beside the code (functions/, infra/), and in test/: integration (one
// component against real sharp, s3rver, node:http, the SST program under Pulumi's mocks), e2e (HTTP
// through the local edge, which each file starts on free ports) and browser (real Chromium).
// Every test must assert something (expect.requireAssertions).
// The SDK's notice that its 2027 releases need Node 22 (this machine has 20; the lockfile pins a
// release that runs on it, and the deployed functions run on nodejs22.x).
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const slow = { testTimeout: 60_000, hookTimeout: 60_000 };

// One copy of Pulumi for every test: SST's component sources (.sst/platform/src, loaded by
// test/support/sst-harness.ts) and SST's own Pulumi packages use the copy in .sst/platform/node_modules,
// and two copies cannot share Pulumi's mocks (google-protobuf registers its classes globally). The
// project's own copy (same versions, package.json pins them) serves when the platform is absent.
const platformModules = path.resolve(import.meta.dirname, '.sst', 'platform', 'node_modules');
const pulumiCopy = (pkg: string) => {
  const platform = path.join(platformModules, '@pulumi', pkg);
  return {
    find: new RegExp(`^@pulumi/${pkg}$`),
    replacement: existsSync(platform) ? platform : path.resolve(import.meta.dirname, 'node_modules', '@pulumi', pkg),
  };
};

export default defineConfig({
  resolve: { alias: [pulumiCopy('pulumi'), pulumiCopy('aws')] },
  test: {
    environment: 'node',
    expect: { requireAssertions: true },
    // The run ends by naming every skipped test and why; on CI a skipped browser test fails it.
    reporters: ['default', './test/support/skip-report.ts'],
    projects: [
      // The bound is a hang guard: some unit tests resize real images on a busy machine.
      { extends: true, test: { name: 'unit', include: ['functions/**/*.test.ts', 'infra/**/*.test.ts'], testTimeout: 30_000 } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...slow } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...slow } },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], ...slow } },
    ],
  },
});
