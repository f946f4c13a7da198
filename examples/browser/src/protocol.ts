// Messages between the page (main.ts) and the training worker (worker.ts). Images travel as RGBA bytes
// (ImageData layout) at the model's size, so the page can put them straight on a canvas.

/** Backends the example offers, fastest first. */
export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
/** One backend name. */
export type BackendName = (typeof BACKENDS)[number];

/** Test-time behaviour of the generator: the paper's (dropout on, batch statistics) or plain inference. */
export type GenerateMode = 'paper' | 'inference';

/** An RGBA image at the model's size. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Page -> worker. */
export type ToWorker =
  | { type: 'init'; backend: BackendName; size: number; filters: number; seed: number }
  | { type: 'train'; steps: number; sampleEvery: number }
  | { type: 'stop' }
  | { type: 'translate'; image: Rgba; mode: GenerateMode }
  | { type: 'save'; url: string }
  | { type: 'load'; url: string }
  | { type: 'loadFiles'; files: File[] };

/** Worker -> page. */
export type FromWorker =
  | { type: 'ready'; backend: string; size: number; filters: number; params: number }
  | { type: 'progress'; step: number; total: number; msPerStep: number; losses: Record<string, number> }
  | { type: 'sample'; step: number; input: Rgba; output: Rgba; target: Rgba }
  | { type: 'trained'; steps: number; stopped: boolean }
  | { type: 'translated'; image: Rgba; ms: number }
  | { type: 'saved'; url: string }
  | { type: 'loaded'; size: number; params: number; from: string }
  | { type: 'error'; message: string };
