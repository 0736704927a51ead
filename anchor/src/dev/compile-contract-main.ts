// `npm run compile:contract`: recompiles contracts/Anchor.sol and rewrites the committed artifacts/Anchor.json.
import { writeFile } from 'node:fs/promises';

import { ANCHOR_ARTIFACT_PATH, anchorPackagePath } from '../chain/anchor-artifact.js';
import { compileAnchorSourceFile } from './compile-contract.js';

const text = await compileAnchorSourceFile();
await writeFile(anchorPackagePath(ANCHOR_ARTIFACT_PATH), text);
process.stdout.write(`wrote ${ANCHOR_ARTIFACT_PATH}\n`);
