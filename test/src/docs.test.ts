import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderEventCatalogue } from '@wr/scripts/docs/event-catalogue';
import { renderLifecycleTable } from '@wr/scripts/docs/lifecycle-table';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('documentation', () => {
  it('shows the lifecycle table the chaincode enforces', async () => {
    const doc = await readFile(join(root, 'docs', 'chaincode.md'), 'utf8');
    const match = /<!-- lifecycle-table:start -->\n([\s\S]*?)\n<!-- lifecycle-table:end -->/.exec(doc);
    expect(match?.[1], 'docs/chaincode.md lost its lifecycle-table markers').to.be.a('string');
    expect(match?.[1]).to.equal(renderLifecycleTable(), 'run `npm run docs:lifecycle` and paste the table into docs/chaincode.md');
  });

  it('documents every event type with its example, as the gateway tells them', async () => {
    const doc = await readFile(join(root, 'docs', 'events.md'), 'utf8');
    const match = /<!-- event-catalogue:start -->\n([\s\S]*?)\n<!-- event-catalogue:end -->/.exec(doc);
    expect(match?.[1], 'docs/events.md lost its event-catalogue markers').to.be.a('string');
    expect(match?.[1]).to.equal(renderEventCatalogue(), 'run `npm run docs:events` and paste the output into docs/events.md');
  });
});
