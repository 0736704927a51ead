#!/usr/bin/env node
// Launcher for `npx wr-verify`: kept in git with its executable bit, since the compiled CLI in dist/ is built after
// npm links bins and tsc does not make files executable.
import '../dist/src/cli/wr-verify.js';
