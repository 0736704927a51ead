import { recordAccess, transitions, type Transition } from '@wr/chaincode/transitions';

type Allowed = Transition['who'][number];

const orgNames = { custodian: 'custodian', lender: 'lender', borrower: 'borrower' } as const;

function who(allowed: readonly Allowed[]): string {
  return allowed.map((entry) => `${orgNames[entry.org]} ${entry.roles.join('/')}`).join('; ');
}

/** The receipt lifecycle as a Markdown table, rendered from the chaincode's own transition table. */
export function renderLifecycleTable(): string {
  const lines = [
    '| transaction | who | from | to | on a frozen receipt | more precise refusal |',
    '|---|---|---|---|---|---|',
    ...transitions.map(
      (row) =>
        `| ${[
        row.tx,
        who(row.who),
        row.from.length === 0 ? '(new)' : row.from.join(', '),
        row.to === 'unchanged' ? '(unchanged: hold only)' : row.to.join(', '),
        row.whileFrozen ? 'allowed' : 'FROZEN',
        row.refuse ? `${row.refuse.code} in ${row.refuse.states.join(', ')}` : '',
      ].join(' | ')} |`,
    ),
  ];
  const records = [
    '',
    '| transaction (lots, risk, checkpoints) | who |',
    '|---|---|',
    ...Object.entries(recordAccess).map(([tx, allowed]) => `| ${tx} | ${who(allowed)} |`),
  ];
  return [...lines, ...records].join('\n');
}
