/**
 * The PyTorch reference's data and run-folder flags shared by `test` and `translate` (and the run folder
 * of `train`): `--dataroot` + `--phase`, `--name` + `--checkpoints-dir` (the run folder), `--epoch`
 * (which checkpoint of a run), `--results-dir` (`<results-dir>/<name>/<phase>_<epoch>/`), and how each
 * sits beside this package's own names (`--data`, `--model`, `--out`, `--results`) as aliases.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { resolveDataroot } from '../node/dataroot.js';
import { CliError } from './backend.js';

/** The reference's default `--checkpoints_dir` (`./checkpoints`). */
export const DEFAULT_CHECKPOINTS_DIR = 'checkpoints';
/** The reference's default `--results_dir` (`./results`). */
export const DEFAULT_RESULTS_DIR = 'results';
/** The numbered snapshot of epoch `n` in a train run folder (`train --save-epoch-freq`). */
export const epochCheckpointDir = (run: string, n: number): string => join(run, `checkpoint-epoch-${n}`);
/** The best-validation checkpoint of a train run folder (`train --keep-best`). */
export const bestCheckpointDir = (run: string): string => join(run, 'checkpoint-best');

const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);
const exists = (p: string) => stat(p).then(() => true, () => false);

/**
 * One setting given under two names (ours and the reference's): the value of whichever was given;
 * both with different values is an error naming them.
 */
export function eitherName<T>(a: { flag: string; value: T | undefined }, b: { flag: string; value: T | undefined }): T | undefined {
  if (a.value !== undefined && b.value !== undefined && a.value !== b.value) {
    throw new CliError(`${a.flag} ${String(a.value)} and ${b.flag} ${String(b.value)} name the same thing differently: give one`);
  }
  return a.value ?? b.value;
}

/**
 * The run folder named by `--name` (+ `--checkpoints-dir`, default `checkpoints`) or by our own flag
 * (`--out` / `--model`): `<checkpoints-dir>/<name>`. Both given must name the same folder.
 * @returns undefined when neither is given.
 */
export function runFolderOf(o: { name?: string; checkpointsDir?: string }, own: { flag: string; value: string | undefined }): string | undefined {
  if (o.checkpointsDir !== undefined && o.name === undefined) throw new CliError('--checkpoints-dir needs --name (the run folder is <checkpoints-dir>/<name>)');
  if (o.name === undefined) return own.value;
  if (o.name === '' || /[/\\]/.test(o.name) || o.name === '..') throw new CliError(`--name must be a folder name (got '${o.name}')`);
  const named = join(o.checkpointsDir ?? DEFAULT_CHECKPOINTS_DIR, o.name);
  if (own.value !== undefined && resolve(own.value) !== resolve(named)) {
    throw new CliError(`${own.flag} ${own.value} and --name ${o.name} (${named}) name different run folders: give one`);
  }
  return named;
}

/**
 * The model `--epoch` picks from `model` (a train run folder, a model folder or a reference checkpoint
 * folder): `latest` is the model itself (a run's `checkpoint/`); a number is the run's
 * `checkpoint-epoch-<n>/` (`train --save-epoch-freq`) or, in a reference checkpoint folder,
 * `<n>_net_G.pth`; `best` is the run's `checkpoint-best/` (`train --keep-best`).
 * @throws CliError listing the epochs the folder has when the one asked for is missing.
 */
export async function modelForEpoch(model: string, epoch: string): Promise<string> {
  if (!(await isDir(model))) {
    if (epoch !== 'latest') throw new CliError(`--epoch ${epoch}: applies to a train run folder or a reference checkpoint folder (--model ${model} is a file)`);
    return model;
  }
  const torch = join(model, `${epoch}_net_G.pth`);
  if (epoch === 'latest') return (await exists(torch)) && !(await exists(join(model, 'checkpoint'))) ? torch : model;
  if (await exists(torch)) return torch;
  const dir = epoch === 'best' ? bestCheckpointDir(model) : /^\d+$/.test(epoch) ? epochCheckpointDir(model, Number(epoch)) : null;
  if (dir === null) throw new CliError(`--epoch must be latest, best or an epoch number (got '${epoch}')`);
  if (await isDir(dir)) return dir;
  const names = await readdir(model).catch(() => [] as string[]);
  const have = [
    ...names.filter((n) => /^checkpoint-epoch-\d+$/.test(n)).map((n) => n.slice('checkpoint-epoch-'.length)),
    ...names.filter((n) => /^\w+_net_G\.pth$/.test(n) && n !== 'latest_net_G.pth').map((n) => n.slice(0, -'_net_G.pth'.length)),
    ...(names.includes('checkpoint-best') ? ['best'] : []),
  ].sort((a, b) => Number(a) - Number(b));
  throw new CliError(`--epoch ${epoch}: ${model} has no ${basename(dir)}/${epoch === 'best' ? '' : ` or ${epoch}_net_G.pth`} (epochs it has besides latest: ${have.length > 0 ? have.join(', ') : 'none; train with --save-epoch-freq n to keep some'})`);
}

/** The data folder of `--data` / `--dataroot` with `--phase` (see `resolveDataroot`). */
export async function dataFolderOf(o: { data?: string; dataroot?: string; phase?: string }, defaultPhase: string, ownFlag: string): Promise<string> {
  const root = eitherName({ flag: ownFlag, value: o.data }, { flag: '--dataroot', value: o.dataroot });
  if (root === undefined) throw new CliError(`required option '--dataroot <dir>' (or ${ownFlag} <dir>) not specified`);
  try {
    return (await resolveDataroot(root, o.phase ?? defaultPhase, o.phase !== undefined, o.data !== undefined ? `${ownFlag} ${root}` : `--dataroot ${root}`)).dir;
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** `<results-dir>/<name>/<phase>_<epoch>/`, the reference's results folder. */
export const referenceResultsFolder = (resultsDir: string, name: string, phase: string, epoch: string): string => join(resultsDir, name, `${phase}_${epoch}`);
