// The page: label-map editor with the facade palette, training controls with live samples, translation,
// save/load. All tfjs work happens in worker.ts; this file only draws and sends messages.
import { FACADE_CLASSES, FACADE_PALETTE, facadeSample } from './pix2pix';
import type { BackendName, FromWorker, GenerateMode, Rgba, ToWorker } from './protocol';

const STORE_URL = 'indexeddb://pix2pix-example-generator';
/**
 * The pretrained label map -> facade generator shipped beside the example (public/pretrained/, see its
 * MODEL.md): loaded on first open, so the canvas translates before any training.
 */
const PRETRAINED_URL = new URL('pretrained/model.json', document.baseURI).href;
/** Facades shown by "Random facade" come from past the training set's indices (held out). */
const HELD_OUT_OFFSET = 10_000;
const DATA_SEED = 7;

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

const ui = {
  backend: $<HTMLSelectElement>('backend'),
  size: $<HTMLSelectElement>('size'),
  filters: $<HTMLSelectElement>('filters'),
  apply: $<HTMLButtonElement>('apply'),
  backendInUse: $<HTMLElement>('backend-in-use'),
  modelInfo: $<HTMLElement>('model-info'),
  palette: $<HTMLDivElement>('palette'),
  random: $<HTMLButtonElement>('random'),
  clear: $<HTMLButtonElement>('clear'),
  input: $<HTMLCanvasElement>('input'),
  steps: $<HTMLInputElement>('steps'),
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  progress: $<HTMLProgressElement>('progress'),
  trainStatus: $<HTMLElement>('train-status'),
  sampleInput: $<HTMLCanvasElement>('sample-input'),
  sampleOutput: $<HTMLCanvasElement>('sample-output'),
  sampleTarget: $<HTMLCanvasElement>('sample-target'),
  mode: $<HTMLSelectElement>('mode'),
  translate: $<HTMLButtonElement>('translate'),
  output: $<HTMLCanvasElement>('output'),
  translateStatus: $<HTMLElement>('translate-status'),
  save: $<HTMLButtonElement>('save'),
  load: $<HTMLButtonElement>('load'),
  files: $<HTMLInputElement>('files'),
  storeStatus: $<HTMLElement>('store-status'),
};

let worker: Worker | undefined;
let size = 64;
let classId = FACADE_CLASSES.indexOf('window');
let translations = 0;
/** Set while the first open loads the pretrained model: translate a random facade once it is in. */
let pretrainedPending = false;

function ctx(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const c = canvas.getContext('2d', { willReadFrequently: true });
  if (!c) throw new Error('no 2d canvas context');
  c.imageSmoothingEnabled = false;
  return c;
}

function rgbOf(id: number): string {
  const [r, g, b] = FACADE_PALETTE[id]!;
  return `rgb(${r}, ${g}, ${b})`;
}

function put(canvas: HTMLCanvasElement, image: Rgba): void {
  canvas.width = image.width;
  canvas.height = image.height;
  ctx(canvas).putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
}

function setStatus(el: HTMLElement, text: string, isError = false): void {
  el.textContent = text;
  el.classList.toggle('error', isError);
}

// --- label-map editor ------------------------------------------------------------------------------

function buildPalette(): void {
  ui.palette.replaceChildren();
  FACADE_CLASSES.forEach((name, id) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = name;
    b.dataset.class = name;
    b.setAttribute('role', 'radio');
    b.setAttribute('aria-checked', String(id === classId));
    b.style.background = rgbOf(id);
    if (id === 0 || id === 1 || id === 8) b.style.color = '#fff';
    b.addEventListener('click', () => {
      classId = id;
      for (const other of ui.palette.querySelectorAll('button')) other.setAttribute('aria-checked', String(other === b));
    });
    ui.palette.append(b);
  });
}

function randomFacade(): void {
  const index = HELD_OUT_OFFSET + Math.floor(Math.random() * 1000);
  const { labelRgb } = facadeSample(index, { size, seed: DATA_SEED });
  const rgba = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    rgba.set(labelRgb.subarray(3 * p, 3 * p + 3), 4 * p);
    rgba[4 * p + 3] = 255;
  }
  put(ui.input, { width: size, height: size, data: rgba });
}

function clearInput(): void {
  ui.input.width = size;
  ui.input.height = size;
  const c = ctx(ui.input);
  c.fillStyle = rgbOf(FACADE_CLASSES.indexOf('wall'));
  c.fillRect(0, 0, size, size);
}

function canvasPoint(e: PointerEvent): [number, number] {
  const r = ui.input.getBoundingClientRect();
  const x = Math.floor(((e.clientX - r.left) / r.width) * ui.input.width);
  const y = Math.floor(((e.clientY - r.top) / r.height) * ui.input.height);
  return [Math.min(Math.max(x, 0), ui.input.width - 1), Math.min(Math.max(y, 0), ui.input.height - 1)];
}

function setupEditor(): void {
  let start: [number, number] | undefined;
  let snapshot: ImageData | undefined;
  const tool = () => (document.querySelector<HTMLInputElement>('input[name="tool"]:checked')?.value ?? 'rect');
  const brush = (x: number, y: number) => {
    const c = ctx(ui.input);
    const r = Math.max(1, Math.round(size / 32));
    c.fillStyle = rgbOf(classId);
    c.fillRect(x - r, y - r, 2 * r + 1, 2 * r + 1);
  };
  const rect = (a: [number, number], b: [number, number]) => {
    const c = ctx(ui.input);
    if (snapshot) c.putImageData(snapshot, 0, 0);
    c.fillStyle = rgbOf(classId);
    c.fillRect(Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.abs(a[0] - b[0]) + 1, Math.abs(a[1] - b[1]) + 1);
  };
  ui.input.addEventListener('pointerdown', (e) => {
    ui.input.setPointerCapture(e.pointerId);
    start = canvasPoint(e);
    snapshot = ctx(ui.input).getImageData(0, 0, ui.input.width, ui.input.height);
    if (tool() === 'brush') brush(...start);
    else rect(start, start);
  });
  ui.input.addEventListener('pointermove', (e) => {
    if (!start) return;
    if (tool() === 'brush') brush(...canvasPoint(e));
    else rect(start, canvasPoint(e));
  });
  const end = () => {
    start = undefined;
    snapshot = undefined;
  };
  ui.input.addEventListener('pointerup', end);
  ui.input.addEventListener('pointercancel', end);
}

// --- worker ------------------------------------------------------------------------------------------

function send(message: ToWorker): void {
  worker?.postMessage(message);
}

function onMessage(message: FromWorker): void {
  switch (message.type) {
    case 'ready':
    case 'loaded': {
      if (message.type === 'ready') {
        ui.backendInUse.textContent = message.backend;
        ui.backendInUse.dataset.backend = message.backend;
        setStatus(ui.trainStatus, 'Not trained yet.');
        if (pretrainedPending) {
          // First open: replace the fresh network with the shipped one before anything else runs.
          send({ type: 'load', url: PRETRAINED_URL });
          return;
        }
      } else {
        setStatus(ui.storeStatus, `Loaded a ${message.size}x${message.size} generator from ${message.from}.`);
      }
      const resized = message.size !== size;
      size = message.size;
      ui.modelInfo.textContent = `U-Net ${size}x${size}, ${message.params.toLocaleString('en')} parameters`;
      if (resized || message.type === 'ready') randomFacade();
      setBusy(false);
      if (message.type === 'loaded' && pretrainedPending) {
        pretrainedPending = false;
        ui.size.value = String(size);
        ui.modelInfo.textContent = `pretrained ${ui.modelInfo.textContent} (synthetic facades, see pretrained/MODEL.md)`;
        ui.modelInfo.dataset.pretrained = 'true';
        setStatus(ui.trainStatus, 'Pretrained model loaded: Train fine-tunes it; "New model" starts from scratch.');
        if (!resized) randomFacade();
        translateInput();
      }
      return;
    }
    case 'progress': {
      ui.progress.max = message.total;
      ui.progress.value = message.step;
      const losses = Object.entries(message.losses)
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(' · ');
      setStatus(ui.trainStatus, `step ${message.step}/${message.total} · ${message.msPerStep.toFixed(0)} ms/step · ${losses}`);
      return;
    }
    case 'sample':
      put(ui.sampleInput, message.input);
      put(ui.sampleOutput, message.output);
      put(ui.sampleTarget, message.target);
      return;
    case 'trained':
      ui.trainStatus.dataset.trainedSteps = String(Number(ui.trainStatus.dataset.trainedSteps ?? 0) + message.steps);
      setStatus(ui.trainStatus, `${message.stopped ? 'Stopped' : 'Done'} after ${message.steps} steps. ${ui.trainStatus.textContent ?? ''}`);
      setBusy(false);
      return;
    case 'translated':
      put(ui.output, message.image);
      translations++;
      ui.output.dataset.translations = String(translations);
      setStatus(ui.translateStatus, `Translated in ${message.ms.toFixed(0)} ms.`);
      setBusy(false);
      return;
    case 'saved':
      setStatus(ui.storeStatus, `Saved to ${message.url}.`);
      setBusy(false);
      return;
    case 'error':
      if (pretrainedPending) {
        // No shipped model (or it failed to load): the fresh network stays, as before this example shipped one.
        pretrainedPending = false;
        setStatus(ui.storeStatus, `Could not load the pretrained model (${message.message}); train one here instead.`, true);
        setBusy(false);
        return;
      }
      setStatus(ui.storeStatus, `Error: ${message.message}`, true);
      document.body.dataset.error = message.message;
      setBusy(false);
      return;
  }
}

function setBusy(busy: boolean, training = false): void {
  for (const b of [ui.apply, ui.train, ui.translate, ui.save, ui.load]) b.disabled = busy;
  ui.files.disabled = busy;
  ui.stop.disabled = !training;
}

/** Sends the input canvas to the worker for translation. */
function translateInput(): void {
  const image = ctx(ui.input).getImageData(0, 0, ui.input.width, ui.input.height);
  setBusy(true);
  send({ type: 'translate', image: { width: image.width, height: image.height, data: image.data }, mode: ui.mode.value as GenerateMode });
}

/** A new worker with a fresh network; with `pretrained`, the shipped model replaces it once the worker is up. */
function startWorker(pretrained = false): void {
  worker?.terminate();
  pretrainedPending = pretrained;
  // Translations are counted per worker (tests wait for the n-th).
  translations = 0;
  delete ui.output.dataset.translations;
  delete ui.modelInfo.dataset.pretrained;
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => onMessage({ type: 'error', message: e.message || 'worker failed to start' });
  ui.backendInUse.textContent = 'starting…';
  ui.backendInUse.dataset.backend = '';
  delete ui.trainStatus.dataset.trainedSteps;
  setBusy(true);
  send({
    type: 'init',
    backend: ui.backend.value as BackendName,
    size: Number(ui.size.value),
    filters: Number(ui.filters.value),
    seed: 1,
  });
}

// --- wiring ------------------------------------------------------------------------------------------

buildPalette();
setupEditor();
ui.apply.addEventListener('click', () => startWorker());
ui.backend.addEventListener('change', () => startWorker());
ui.random.addEventListener('click', randomFacade);
ui.clear.addEventListener('click', clearInput);
ui.train.addEventListener('click', () => {
  const steps = Math.max(1, Math.floor(Number(ui.steps.value) || 1));
  setBusy(true, true);
  ui.progress.value = 0;
  send({ type: 'train', steps, sampleEvery: Math.max(1, Math.min(25, Math.floor(steps / 4))) });
});
ui.stop.addEventListener('click', () => send({ type: 'stop' }));
ui.translate.addEventListener('click', translateInput);
ui.save.addEventListener('click', () => {
  setBusy(true);
  send({ type: 'save', url: STORE_URL });
});
ui.load.addEventListener('click', () => {
  setBusy(true);
  send({ type: 'load', url: STORE_URL });
});
ui.files.addEventListener('change', () => {
  const files = Array.from(ui.files.files ?? []);
  if (files.length === 0) return;
  setBusy(true);
  send({ type: 'loadFiles', files });
});
clearInput();
startWorker(true);
