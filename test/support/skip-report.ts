/**
 * A vitest reporter that ends every run by naming each skipped test and why (the note given to
 * `ctx.skip(condition, note)`). With CI=true a skipped browser test fails the run: CI installs
 * Chromium, so a browser test that did not run is a broken set-up, not a pass.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SkipReport implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const skipped: { file: string; name: string; note: string }[] = [];
    for (const module of modules) {
      // A file that failed before its tests ran reports them as skipped: they did not run, and why is its error.
      const failed = module.errors().length > 0;
      for (const test of module.children.allTests('skipped')) {
        const result = test.result();
        const note = result.state === 'skipped' ? result.note : undefined;
        const why = note ?? (failed ? 'not run: the file failed before its tests (its error is above)' : 'no reason given (use ctx.skip(condition, note))');
        skipped.push({ file: module.relativeModuleId, name: test.fullName, note: why });
      }
    }
    if (skipped.length === 0) {
      console.log('\nSkipped tests: none.');
      return;
    }
    console.log(`\nSkipped tests: ${skipped.length}`);
    for (const s of skipped) console.log(`  - ${s.file} > ${s.name}: ${s.note}`);
    const browser = skipped.filter((s) => s.file.startsWith('test/browser/'));
    if (process.env['CI'] === 'true' && browser.length > 0) {
      console.error(`\nExpected every browser test to run on CI but received ${browser.length} skipped: install Chromium (apt-get install -y chromium).`);
      process.exitCode = 1;
    }
  }
}
