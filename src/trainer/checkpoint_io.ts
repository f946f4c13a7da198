/**
 * Where Trainer checkpoints go and come from: resolving a target (an IO handler or a `tf.io` URL),
 * rebuilding networks and the objective from a decoded checkpoint.
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { compositeLoss, type CompositeLossOptions } from '../losses/composite_loss.js';
import type { Objective } from '../losses/types.js';
import { check } from '../util/validate.js';
import { CheckpointError } from './checkpoint.js';
import type { CheckpointTarget } from './options.js';

/** The IO handler for a checkpoint target. */
export function resolveHandler(target: CheckpointTarget, use: 'save' | 'load'): tf.io.IOHandler {
  if (typeof target !== 'string') {
    check(target != null && typeof target[use] === 'function', 'checkpoint handler', `a tf.io.IOHandler with ${use}()`, typeof target);
    return target;
  }
  const handlers = use === 'save' ? tf.io.getSaveHandlers(target) : tf.io.getLoadHandlers(target);
  if (handlers.length === 0) {
    throw new Error(
      `no tf.io handler can ${use} '${target}': pass an IO handler, e.g. fileCheckpoint('${target}') from '@acme/pix2pix/node' in Node, or a URL such as 'indexeddb://name' in a browser`,
    );
  }
  if (handlers.length > 1) throw new Error(`several tf.io handlers match '${target}'; pass one explicitly`);
  return handlers[0]!;
}

/**
 * Where a handler loads from, when it says so (`fileCheckpoint` sets `source` to its `model.json`), for
 * error messages; null otherwise.
 */
export const handlerSource = (h: tf.io.IOHandler): string | null => {
  const s = (h as { source?: unknown }).source;
  return typeof s === 'string' ? s : null;
};

/**
 * A load error as the checkpoint's: a CheckpointError naming `source` (when known and not named yet);
 * out-of-range values read from the file (RangeError from option checks) become CheckpointErrors too.
 * Other errors pass unchanged.
 */
export function checkpointLoadError(e: unknown, source: string | null): unknown {
  if (!(e instanceof CheckpointError) && !(e instanceof RangeError)) return e;
  const message = (e as Error).message;
  const what = e instanceof CheckpointError ? message : `a value in the checkpoint is out of range: ${message}`;
  if (source === null) return e instanceof CheckpointError ? e : new CheckpointError(what);
  return new CheckpointError(message.includes(source) ? what : `${source}: ${what}`);
}

/** Rebuilds a network from its saved topology (weights not set). */
export async function rebuildModel(topology: object, role: string): Promise<tfl.LayersModel> {
  try {
    return await tfl.models.modelFromJSON({ modelTopology: topology } as tfl.ModelAndWeightsConfig);
  } catch (e) {
    throw new CheckpointError(`the checkpoint's ${role} topology cannot be rebuilt: ${(e as Error).message}`);
  }
}

/** Rebuilds `compositeLoss(config)` from a checkpoint's loss config. */
export function rebuildLoss(config: Record<string, string | number>): Objective {
  try {
    return compositeLoss(config as CompositeLossOptions);
  } catch (e) {
    throw new CheckpointError(
      `cannot rebuild the objective from the checkpoint's loss config ${JSON.stringify(config)}: ${(e as Error).message}; pass options.loss`,
    );
  }
}
