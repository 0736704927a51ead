import { rolesByOrg } from '@wr/chaincode/roles';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { lockDataDir } from '../data-dir-lock.js';
import { openDatabase } from '../db/database.js';
import { identityStore } from '../db/identity-store.js';
import { openDevCa, type DevCa } from '../identity/dev-ca.js';
import { loadConnectionBundle } from '../ledger/fabric/fabric-ledger.js';
import { devCaEnrolment, ensureIdentity, mspOf, type OrgKey } from '../identity/dev-identities.js';
import { fileWallet } from '../identity/wallet.js';
import { replay } from '../modules/rules/index.js';

const usage = `Usage: npm run admin -- <command> [options]

Commands:
  identities                                   list identities
  create-user --org <org> --user <name> --role <role> [--id <id>] [--label <text>]
                                               enrol a user with the org's CA and issue a token
                                               (org: custodian, lender, borrower)
  issue-token <identity-id> [--label <text>]   issue another token for an identity
  tokens [<identity-id>]                       list tokens (never their values)
  revoke-token <token-id>                      revoke a token at once
  disable <identity-id>                        disable an identity and with it all its tokens
  replay-rules                                 replay the stored evidence through the rule versions that were in
                                               force and compare the alarms with the stored alarm log byte for byte
                                               (exit 1 when they differ)

Uses DATA_DIR and DATABASE_URL like the gateway. With the embedded database the gateway must be stopped.`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { org: { type: 'string' }, user: { type: 'string' }, role: { type: 'string' }, id: { type: 'string' }, label: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, target] = positionals;
  if (values.help || command === undefined) {
    console.log(usage);
    return;
  }
  const config = loadConfig();
  const lock = config.databaseUrl === undefined ? await lockDataDir(config.dataDir) : undefined;
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const identities = identityStore(db);
  try {
    switch (command) {
      case 'identities': {
        const rows = await identities.listIdentities();
        for (const row of rows) console.log(`${row.id.padEnd(28)} ${row.mspId.padEnd(13)} ${row.user.padEnd(16)} ${row.role.padEnd(15)} ${row.disabledAt ? 'disabled' : 'active'}`);
        if (rows.length === 0) console.log('(no identities)');
        break;
      }
      case 'create-user': {
        const org = values.org;
        if (org !== 'custodian' && org !== 'lender' && org !== 'borrower') throw new UsageError('--org must be custodian, lender or borrower');
        const roles: readonly string[] = rolesByOrg[org];
        if (!values.role || !roles.includes(values.role)) throw new UsageError(`--role must be one of: ${roles.join(', ')}`);
        if (!values.user) throw new UsageError('--user is required');
        const id = values.id ?? `${org}.${values.user}`;
        if (await identities.getIdentity(id)) throw new UsageError(`identity ${id} exists already`);
        // On Fabric the organisation's CA issues the certificate into the bundle's wallet; the gateway only records it.
        const enrolment = config.fabric
          ? { identities, wallet: (await loadConnectionBundle(config.fabric.connection)).wallet }
          : devCaEnrolment(identities, fileWallet(join(config.dataDir, 'wallet')), new Map<string, DevCa>([[mspOf[org], await openDevCa(join(config.dataDir, 'ca'), mspOf[org])]]));
        await ensureIdentity(enrolment, { id, org: org satisfies OrgKey, user: values.user, role: values.role });
        const { token, record } = await identities.issueToken(id, values.label ?? 'admin create-user');
        console.log(`created ${id} (${mspOf[org]}, user ${values.user}, role ${values.role})\ntoken ${record.id}: ${token}\nkeep the token now: it is stored only as a hash`);
        break;
      }
      case 'issue-token': {
        if (!target) throw new UsageError('issue-token needs an identity id');
        const { token, record } = await identities.issueToken(target, values.label ?? 'admin issue-token');
        console.log(`token ${record.id} for ${target}: ${token}\nkeep the token now: it is stored only as a hash`);
        break;
      }
      case 'tokens': {
        for (const t of await identities.listTokens(target)) {
          console.log(`${t.id.padEnd(24)} ${t.identityId.padEnd(28)} ${t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active'}  ${t.label}`);
        }
        break;
      }
      case 'revoke-token': {
        if (!target) throw new UsageError('revoke-token needs a token id (see `tokens`)');
        if (!(await identities.revokeToken(target))) throw new UsageError(`no active token ${target}`);
        console.log(`revoked ${target}`);
        break;
      }
      case 'disable': {
        if (!target) throw new UsageError('disable needs an identity id');
        if (!(await identities.disableIdentity(target))) throw new UsageError(`no active identity ${target}`);
        console.log(`disabled ${target}`);
        break;
      }
      case 'replay-rules': {
        const result = await replay(db);
        console.log(`replayed ${result.readings.toString()} readings and ${result.inputs.toString()} logged inputs: ${result.changes.toString()} alarm changes (stored ${result.storedChanges.toString()})`);
        console.log(`digest ${result.digest}`);
        if (result.identical) {
          console.log('identical: the stored alarm log is reproduced byte for byte');
        } else {
          const difference = result.firstDifference;
          console.log(`DIFFERENT at change ${String(difference?.index)}:\n  replayed ${difference?.replayed ?? '(none)'}\n  stored   ${difference?.stored ?? '(none)'}`);
          process.exitCode = 1;
        }
        break;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    await db.close();
    await lock?.release();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof ConfigError) {
    console.error(`error: ${error.message}\n\n${usage}`);
    process.exit(2);
  }
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
