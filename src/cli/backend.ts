import * as tf from '@tensorflow/tfjs-core';
import { initWasmBackend } from '../backends/wasm/index.js';
import { assertNever } from '../util/validate.js';

/** Backends the CLI can run on in Node. `auto`: tensorflow if installed, else wasm, else cpu. */
export type CliBackend = 'auto' | 'cpu' | 'wasm' | 'tensorflow';

/** The allowed `--backend` values. */
export const CLI_BACKENDS: readonly CliBackend[] = ['auto', 'wasm', 'cpu', 'tensorflow'];

/** An error meant for the user: printed as one line, no stack trace. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

const missing = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
};

async function useCpu(): Promise<string> {
  try {
    await import('@tensorflow/tfjs-backend-cpu');
  } catch (e) {
    if (missing(e)) throw new CliError("--backend cpu needs the package '@tensorflow/tfjs-backend-cpu' (npm i @tensorflow/tfjs-backend-cpu)");
    throw e;
  }
  if (!(await tf.setBackend('cpu'))) throw new CliError('the cpu backend failed to initialise');
  return 'cpu';
}

async function useWasm(): Promise<string> {
  try {
    const info = await initWasmBackend();
    return `wasm (${info.threads} thread${info.threads === 1 ? '' : 's'}${info.simd ? ', SIMD' : ''})`;
  } catch (e) {
    if (missing(e)) throw new CliError("--backend wasm needs the package '@tensorflow/tfjs-backend-wasm' (npm i @tensorflow/tfjs-backend-wasm)");
    throw e;
  }
}

async function useTensorflow(): Promise<string> {
  const name = '@tensorflow/tfjs-node';
  try {
    await import(/* @vite-ignore */ name);
  } catch (e) {
    if (missing(e)) {
      throw new CliError(`--backend tensorflow needs the optional package '${name}', which is not installed (npm i ${name}; it downloads libtensorflow). Use --backend wasm or cpu instead.`);
    }
    throw new CliError(`${name} is installed but failed to load: ${(e as Error).message}`);
  }
  if (!(await tf.setBackend('tensorflow'))) throw new CliError('the tensorflow backend failed to initialise');
  return 'tensorflow';
}

/**
 * Selects and initialises a backend; returns a description for logs. `auto` tries tfjs-node, then wasm
 * (with the package's training kernels), then cpu.
 */
export async function selectBackend(backend: CliBackend): Promise<string> {
  let name: string;
  switch (backend) {
    case 'cpu':
      name = await useCpu();
      break;
    case 'wasm':
      name = await useWasm();
      break;
    case 'tensorflow':
      name = await useTensorflow();
      break;
    case 'auto':
      name = await useTensorflow().catch(() => useWasm().catch(() => useCpu()));
      break;
    default:
      assertNever(backend, 'backend');
  }
  await tf.ready();
  return name;
}
