'use strict';
// The spec reporter, plus the slowest test files and tests, and one closing line in the plain form CI reads
// ("tests: N passed, N failed, N skipped").
const Mocha = require('mocha');

const SLOWEST = 10;

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const tests = [];
    // Wall time per file, hooks included: from its first event to its last.
    const files = new Map();
    const touch = (runnable) => {
      if (runnable.file === undefined) return;
      const now = Date.now();
      const span = files.get(runnable.file) ?? { start: now, end: now };
      span.end = now;
      files.set(runnable.file, span);
    };
    const { EVENT_HOOK_BEGIN, EVENT_HOOK_END, EVENT_TEST_BEGIN, EVENT_TEST_END, EVENT_RUN_END } = Mocha.Runner.constants;
    for (const event of [EVENT_HOOK_BEGIN, EVENT_HOOK_END, EVENT_TEST_BEGIN]) runner.on(event, touch);
    runner.on(EVENT_TEST_END, (test) => {
      touch(test);
      if (typeof test.duration === 'number') tests.push({ title: test.fullTitle(), duration: test.duration });
    });
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending, duration } = runner.stats;
      const relative = (file) => (file.startsWith(process.cwd()) ? file.slice(process.cwd().length + 1) : file);
      const slowFiles = [...files].map(([file, span]) => ({ file, ms: span.end - span.start })).sort((a, b) => b.ms - a.ms);
      const slowTests = tests.sort((a, b) => b.duration - a.duration).slice(0, SLOWEST);
      const out = [`\nslowest files (of ${seconds(duration ?? 0)} in all):`];
      for (const { file, ms } of slowFiles.slice(0, SLOWEST)) out.push(`  ${seconds(ms).padStart(8)}  ${relative(file)}`);
      out.push('slowest tests:');
      for (const { title, duration: ms } of slowTests) out.push(`  ${seconds(ms).padStart(8)}  ${title}`);
      process.stdout.write(`${out.join('\n')}\n\ntests: ${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SpecWithSummary;
