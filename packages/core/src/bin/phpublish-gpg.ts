#!/usr/bin/env node
// git's `gpg.program`: signs and verifies with openpgp.js, with the key from PHPUBLISH_GPG_PRIVATE_KEY.
// It ships with core (not the CLI) so that every host adapter can hand it to git: see
// `gpgProgramScript` in release/git-signing-environment.ts. git starts it for every signature, so
// it must start fast: the compile cache is turned on before the program (gpg-program-process.ts) loads.
import { enableCompileCache } from '../node-version/index.js';

enableCompileCache(process.env, process.platform);
await import('./gpg-program-process.js');
