// The `pix2pix` command line (bin entry, built to dist/cli.js): runs the program, turns errors into one
// line and an exit code, and turns SIGINT, SIGTERM and SIGHUP into "finish the step, save, exit".
import * as tf from '@tensorflow/tfjs-core';
import { CommanderError } from 'commander';
import { constants } from 'node:os';
import { buildProgram } from './program.js';

/** Signals that stop a long command cleanly (the step in progress finishes, a checkpoint is saved). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function main(argv: string[]): Promise<number> {
  // An application, not a library: silence tfjs' "install tfjs-node" banner and debug checks.
  tf.env().set('PROD', true);
  const stop = new AbortController();
  let interrupts = 0;
  // After SIGHUP the terminal may be gone: a failed write to it must not end the save.
  process.stderr.on('error', () => {});
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    const code = 128 + constants.signals[signal];
    if (interrupts === 1) {
      process.stderr.write(`\n${signal === 'SIGINT' ? 'interrupt' : signal}: finishing the current step and saving a checkpoint (Ctrl-C again to quit at once)\n`);
      stop.abort(signal);
    } else {
      process.exit(code);
    }
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  let exitCode = 0;
  const program = buildProgram({ log: process.stderr, signal: stop.signal, setExitCode: (c) => (exitCode = c) });
  try {
    await program.parseAsync(argv);
    // A command stopped by a signal exits with the shell's code for it (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
    if (exitCode === 130 && stop.signal.aborted) return 128 + constants.signals[stop.signal.reason as NodeJS.Signals];
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander already printed the message and usage
    if (process.env.PIX2PIX_DEBUG) console.error(e);
    else process.stderr.write(`pix2pix: error: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`pix2pix: error: ${(e as Error).message ?? String(e)}\n`);
    process.exit(1);
  },
);
