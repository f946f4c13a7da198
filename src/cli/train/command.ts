// The `pix2pix train` command: its flags come from the table in ./flags.ts; the action resolves them
// (aliases, defaults, conflicts) and runs the training.
import type { Command } from 'commander';
import type { ProgramIo } from '../program.js';
import { CliError, type CliBackend } from '../backend.js';
import { runTrain } from '../train.js';
import { addTrainFlags, resolveTrainFlags, type NetG } from './flags.js';
import { generatorKind } from './networks.js';
import { runFolderOf } from '../reference_flags.js';

/** Adds `pix2pix train` to `program`; returns the command. */
export function registerTrain(program: Command, io: ProgramIo): Command {
  const cmd = program.command('train').description('train a pix2pix generator on a paired data set folder (flags: the PyTorch reference\'s names, kebab-case)');
  addTrainFlags(cmd);
  cmd.action(async () => {
    const { values: v, given } = resolveTrainFlags(cmd);
    // With --resume the data set comes from run.json (its absolute path).
    if (v.data === undefined && v.resume !== true) throw new CliError("required option '--dataroot <dir>' (or --data <dir>) not specified");
    // --name [+ --checkpoints-dir]: the reference's name of the output folder.
    const out = runFolderOf({ name: v.name as string | undefined, checkpointsDir: v.checkpointsDir as string | undefined }, { flag: '--out', value: given.out === undefined ? undefined : (v.out as string) }) ?? (v.out as string);
    const netG = v.netG as NetG;
    const r = await runTrain({
      data: (v.data as string | undefined) ?? '',
      phase: v.phase as string,
      layout: v.layout as 'ab' | 'folders' | undefined,
      direction: v.direction as 'AtoB' | 'BtoA',
      size: v.size as number,
      loadSize: v.loadSize as number | undefined,
      flip: v.flip as boolean,
      inputChannels: v.inputChannels as 1 | 3 | 4,
      outputChannels: v.outputChannels as 1 | 3 | 4,
      epochs: v.epochs as number,
      epochsDecay: v.epochsDecay as number,
      epochCount: v.epochCount as number | undefined,
      batchSize: v.batchSize as number,
      serialBatches: v.serialBatches as boolean,
      maxDatasetSize: v.maxDatasetSize as number | undefined,
      datasetMode: v.datasetMode as 'aligned' | 'colorization',
      lambda: v.lambda as number,
      gan: v.gan as 'vanilla',
      reconstruction: v.reconstruction as 'l1',
      norm: v.norm as 'batch',
      rf: v.rf as 70,
      generator: generatorKind(netG).generator,
      netG,
      filters: v.filters as number,
      dFilters: v.dFilters as number,
      dropout: v.dropout as boolean,
      initType: v.initType as 'normal',
      initGain: v.initGain as number,
      preprocess: v.preprocess as 'resize_and_crop',
      unconditionalD: v.unconditionalD as boolean,
      initGenerator: v.initGenerator as string | undefined,
      lr: v.lr as number,
      beta1: v.beta1 as number,
      lrPolicy: v.lrPolicy as 'linear',
      lrDecayIters: v.lrDecayIters as number,
      backend: v.backend as CliBackend,
      out,
      resume: v.resume as boolean,
      seed: v.seed as number,
      sampleEvery: v.sampleEvery as number,
      checkpointEvery: v.checkpointEvery as number,
      saveEvery: v.saveEvery as number | undefined,
      saveEpochFreq: v.saveEpochFreq as number | undefined,
      maxSteps: v.maxSteps as number | undefined,
      timeLimit: v.timeLimit as number | undefined,
      valData: v.valData as string | undefined,
      valEvery: v.valEvery as number | undefined,
      valCount: v.valCount as number | undefined,
      keepBest: v.keepBest as boolean,
      given,
      log: io.log,
      signal: io.signal,
    });
    r.trainer.dispose();
    if (r.reason === 'interrupted') io.setExitCode(130);
  });
  return cmd;
}
