// The `pix2pix` command line (bin entry, built to dist/cli.js).
import * as tf from '@tensorflow/tfjs-core';
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';

async function main(argv: string[]): Promise<number> {
  // An application, not a library: silence tfjs' "install tfjs-node" banner and debug checks.
  tf.env().set('PROD', true);
  const stop = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\ninterrupt: finishing the current step and saving a checkpoint (Ctrl-C again to quit at once)\n');
      stop.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  let exitCode = 0;
  const program = buildProgram({ log: process.stderr, signal: stop.signal, setExitCode: (c) => (exitCode = c) });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander already printed the message and usage
    if (process.env.PIX2PIX_DEBUG) console.error(e);
    else process.stderr.write(`pix2pix: error: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`pix2pix: error: ${(e as Error).message ?? String(e)}\n`);
    process.exit(1);
  },
);
