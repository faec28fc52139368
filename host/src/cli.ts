#!/usr/bin/env node
// Entry of the `dw-host` binary. The metadata polyfill tsyringe needs is loaded by the
// service directory before tsyringe itself, so nothing else must come first here.
import { runCli } from './cli/runCli.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Stdout may still be flushing to a pipe, so no immediate process.exit(); but a plugin that
// leaks a handle must not keep a stopped host alive.
setTimeout(() => process.exit(code), 3000).unref();
