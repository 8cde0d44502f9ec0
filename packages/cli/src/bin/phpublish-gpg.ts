#!/usr/bin/env node
// git's `gpg.program` for users who install the CLI: the program itself ships with @phpublish/core
// (so that host adapters need no CLI); this bin only runs it.
import '@phpublish/core/bin/phpublish-gpg';
