import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { prng, replayHint, testSeed } from '../../src/testing/seed.js';

const seedModule = new URL('../../src/testing/seed.js', import.meta.url).href;

/** testSeed() and replayHint() as a fresh process with `env` on top of this one's (TEST_SEED removed) sees them. */
function inChild(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const base = { ...process.env };
  delete base.TEST_SEED;
  const script = `const { testSeed, replayHint } = await import(${JSON.stringify(seedModule)}); const a = testSeed(); console.log(a, testSeed(), replayHint(a));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...base, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr };
}

describe('replayable seeds (testSeed, prng)', () => {
  it('prng is mulberry32: a seed gives the same draws as it always did, so a recorded seed still replays', () => {
    const { next } = prng(20261121);
    expect([next(), next(), next()].map((x) => x * 2 ** 32)).to.deep.equal([2969524423, 1512158564, 2312278096]);
    const a = prng(7);
    const b = prng(7);
    const c = prng(8);
    const draws = (random: ReturnType<typeof prng>): number[] => Array.from({ length: 50 }, () => random.int(1000));
    const fromA = draws(a);
    expect(fromA).to.deep.equal(draws(b));
    expect(fromA).to.not.deep.equal(draws(c));
  });

  it('int, between and bytes stay in their bounds', () => {
    const random = prng(testSeed());
    for (let i = 0; i < 1000; i++) {
      expect(random.int(3)).to.be.oneOf([0, 1, 2]);
      expect(random.between(-2, 2)).to.be.within(-2, 2).and.to.satisfy(Number.isInteger);
      expect(random.next()).to.be.at.least(0).and.below(1);
    }
    expect(random.bytes(5)).to.have.length(5);
  });

  it(`takes TEST_SEED when set, the same for every call in a process, and names it in the hint (this run: ${replayHint(testSeed())})`, () => {
    expect(inChild({ TEST_SEED: '4027' })).to.deep.include({ status: 0, stdout: '4027 4027 seed 4027, TEST_SEED=4027 replays' });
    const fresh = inChild({});
    expect(fresh.status).to.equal(0);
    const [first, second] = fresh.stdout.split(' ').map(Number);
    expect(first).to.equal(second);
    expect(first).to.be.within(0, 2 ** 32 - 1).and.to.satisfy(Number.isInteger);
  });

  it('refuses a TEST_SEED that is not a 32-bit unsigned integer', () => {
    for (const bad of ['abc', '-1', '1.5', String(2 ** 32)]) {
      const result = inChild({ TEST_SEED: bad });
      expect(result.status, bad).to.not.equal(0);
      expect(result.stderr).to.include(`TEST_SEED must be an integer in 0..2^32-1, not ${bad}`);
    }
  });
});
