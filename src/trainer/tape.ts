/**
 * Running code outside an enclosing gradient tape. tfjs records every op run while any gradient scope
 * is open, nested scopes included, and keeps the tensors those ops save until the outermost scope ends.
 * The Trainer's discriminator update runs inside the generator's gradient scope (so that the generator
 * runs forward once per step) but contributes nothing to the generator's gradient; pausing the tape
 * keeps its activations and Adam temporaries from living until the generator's backward pass ends.
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';

interface EngineState {
  gradientDepth: number;
  activeTape: unknown;
}

/**
 * Runs `fn` as if no gradient scope were open: nothing it does is recorded on the enclosing tape (its
 * own gradient scopes work as at top level). Where the engine is laid out differently from tfjs-core
 * 4.22, `fn` simply runs on the tape (correct, at a memory cost).
 */
export function withoutTape<T>(fn: () => T): T {
  const state = (tf.engine() as unknown as { state?: Partial<EngineState> }).state;
  if (state == null || typeof state.gradientDepth !== 'number' || !('activeTape' in state) || state.gradientDepth === 0) return fn();
  const { gradientDepth, activeTape } = state;
  state.gradientDepth = 0;
  state.activeTape = null;
  try {
    return fn();
  } finally {
    // A scope inside fn that ended by an exception leaves its tape behind: free what its nodes saved.
    if (state.activeTape !== activeTape) disposeSaved(state.activeTape);
    state.gradientDepth = gradientDepth;
    state.activeTape = activeTape;
  }
}

function disposeSaved(tape: unknown): void {
  if (Array.isArray(tape)) for (const node of tape as Array<{ saved?: tf.Tensor[] }>) tf.dispose(node.saved ?? []);
}

/**
 * After a gradient scope ended by an exception, tfjs leaves its tape (and the tensors its nodes saved)
 * behind until the next scope replaces it; this frees them. Does nothing while a scope is open.
 */
export function disposeAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state?: Partial<EngineState> }).state;
  if (state == null || state.gradientDepth !== 0 || !Array.isArray(state.activeTape)) return;
  disposeSaved(state.activeTape);
  state.activeTape = null;
}
