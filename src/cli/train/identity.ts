// What a run is trained on and with, as `run.json` records it, so that `--resume` continues the same
// run: the data set by its absolute path, number of pairs and a cheap fingerprint (file names and
// sizes), and the checkpoint by its architecture (layers, parameters, input shape of each network).
import type * as tfl from '@tensorflow/tfjs-layers';
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import type { PairSource } from '../../data/source.js';
import type { Trainer } from '../../trainer/trainer.js';
import { CliError } from '../backend.js';
import { fnv1aHex } from '../../util/hash.js';

/** The data set's identity in `run.json`. */
export interface DataIdentity {
  /** Number of pairs trained on. */
  pairs: number;
  /** FNV-1a hash (hex) of every pair's file names and byte sizes, in order. */
  fingerprint: string;
}

/** The identity of `source`: its length and a hash of its files' names and sizes (one `stat` per file). */
export async function dataIdentity(source: PairSource): Promise<DataIdentity> {
  const parts: string[] = [];
  for (let i = 0; i < source.length; i++) {
    for (const f of source.name(i).split(' + ')) {
      const size = await stat(f).then((s) => s.size, () => -1);
      parts.push(`${basename(f)}:${size}`);
    }
  }
  return { pairs: source.length, fingerprint: fnv1aHex(parts.join('\n')) };
}

const params = (m: tfl.LayersModel) => m.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
const describe = (m: tfl.LayersModel) => `${m.layers.length} layers, ${params(m)} parameters, input ${JSON.stringify(m.inputs.map((t) => t.shape))}`;

/** The architecture of a trainer's networks, as one comparable line. */
export function architectureOf(t: Trainer): string {
  return `G: ${describe(t.generator)}; D: ${t.discriminator ? describe(t.discriminator) : 'none'}`;
}

/** The absolute form of a data path for `run.json`. */
export const absoluteData = (p: string): string => resolve(p);

/**
 * The data path a resume compares with `run.json`: absolute when the run stored an absolute path (a
 * relative path names other data from another working folder); as given for runs of older versions.
 */
export const comparableData = (given: string, saved: unknown): string => (typeof saved === 'string' && isAbsolute(saved) ? resolve(given) : given);

/**
 * Refuses a resume whose data set or checkpoint is not the run's: another number of pairs or other
 * files than `run.json` records, or a checkpoint of another architecture. Runs of older versions
 * (no record) are not checked.
 * @throws CliError naming what differs.
 */
export function checkResumeIdentity(saved: Readonly<Record<string, unknown>>, data: DataIdentity, trainer: Trainer, where: { out: string; data: string; checkpoint: string }): void {
  if (typeof saved.pairs === 'number' && typeof saved.fingerprint === 'string' && (saved.pairs !== data.pairs || saved.fingerprint !== data.fingerprint)) {
    throw new CliError(
      `--resume: the data in ${where.data} changed since the run started (run.json: ${saved.pairs} pairs, fingerprint ${saved.fingerprint}; now ${data.pairs} pairs, fingerprint ${data.fingerprint}); ` +
        'restore the data, or train a new run with another --out',
    );
  }
  const arch = architectureOf(trainer);
  if (typeof saved.architecture === 'string' && saved.architecture !== arch) {
    throw new CliError(`--resume: the checkpoint ${where.checkpoint} is not of the run's architecture (run.json: ${saved.architecture}; checkpoint: ${arch}); it belongs to another run`);
  }
}
