import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// Folders that sit beside some checkouts (CI's, the developers') but not beside a plain clone. Spelled in two parts so
// that this file does not match itself.
const beside = ['shared', '.library'].map((folder) => `../${folder}`);

describe('the repository stands alone', () => {
  it(`no tracked file (package-lock.json aside) names ${beside.join(' or ')}, which a plain clone does not have`, () => {
    const grep = spawnSync('git', ['grep', '-n', '-F', ...beside.flatMap((path) => ['-e', path]), '--', '.', ':(exclude)package-lock.json'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(grep.error, 'git must be installed: this test reads the checkout').to.equal(undefined);
    // git grep: 0 when something matched, 1 when nothing did, more on an error (e.g. not a git checkout).
    expect(grep.status, grep.stderr).to.be.oneOf([0, 1]);
    expect(grep.stdout.split('\n').filter((line) => line !== ''), 'reaches outside the repository').to.deep.equal([]);
  });
});
