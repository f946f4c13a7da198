/**
 * Renders the "photo" of a facade layout: per-class textures, per-building colours, shading, cast
 * shadows and sensor noise. Pure JavaScript on byte arrays.
 * @internal
 */
import { Rng } from '../../util/random.js';
import { facadeClassId } from './palette.js';
import type { FacadeLayout, FacadeRect } from './layout.js';

type RGB = [number, number, number];

const WALLS: RGB[] = [
  [226, 212, 184], // cream
  [212, 172, 112], // ochre
  [160, 82, 62], // brick red
  [172, 170, 164], // grey stone
  [222, 184, 172], // pale pink
  [236, 232, 224], // white render
  [182, 192, 202], // blue grey
  [228, 200, 122], // yellow
  [140, 120, 100], // brown stone
];
const DOORS: RGB[] = [[92, 58, 34], [40, 62, 44], [60, 40, 30], [30, 40, 70], [120, 34, 30]];
const SHUTTERS: RGB[] = [[62, 110, 70], [110, 80, 52], [70, 96, 140], [190, 190, 180], [150, 60, 50]];
const SIGNS: RGB[] = [[170, 30, 30], [30, 80, 150], [40, 120, 60], [30, 30, 30], [200, 160, 40]];

const C = {
  background: facadeClassId('background'),
  wall: facadeClassId('wall'),
  window: facadeClassId('window'),
  door: facadeClassId('door'),
  balcony: facadeClassId('balcony'),
  cornice: facadeClassId('cornice'),
  sill: facadeClassId('sill'),
  pillar: facadeClassId('pillar'),
  shop: facadeClassId('shop'),
  shutter: facadeClassId('shutter'),
};

const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng.next();
const pick = <T>(rng: Rng, xs: T[]): T => xs[rng.int(xs.length)]!;
const jitter = (rng: Rng, c: RGB, amount: number): RGB => [
  c[0] + uniform(rng, -amount, amount),
  c[1] + uniform(rng, -amount, amount),
  c[2] + uniform(rng, -amount, amount),
];
const mix = (a: RGB, b: RGB, t: number): RGB => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
const scale = (a: RGB, s: number): RGB => [a[0] * s, a[1] * s, a[2] * s];

/** Smooth value noise: a `cells` x `cells` random grid, bilinearly interpolated. */
function valueNoise(rng: Rng, size: number, cells: number): Float32Array {
  const g = cells + 1;
  const grid = new Float32Array(g * g);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.next() * 2 - 1;
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const fy = (y / size) * cells;
    const iy = Math.floor(fy);
    const ty = fy - iy;
    for (let x = 0; x < size; x++) {
      const fx = (x / size) * cells;
      const ix = Math.floor(fx);
      const tx = fx - ix;
      const a = grid[iy * g + ix]! * (1 - tx) + grid[iy * g + ix + 1]! * tx;
      const b = grid[(iy + 1) * g + ix]! * (1 - tx) + grid[(iy + 1) * g + ix + 1]! * tx;
      out[y * size + x] = a * (1 - ty) + b * ty;
    }
  }
  return out;
}

/** Renders a photo (RGB bytes) of `layout`, whose class map `label` was painted from the same rects. */
export function renderFacade(layout: FacadeLayout, label: Uint8Array, rng: Rng): Uint8Array {
  const S = layout.size;
  const img = new Float32Array(S * S * 3);
  const unit = Math.max(1, S / 256); // pixels per "256-pixel" unit, so textures scale with the image

  // Per-building style.
  const wall = jitter(rng, pick(rng, WALLS), 14);
  const wallTexture = rng.int(3); // 0 plain render, 1 brick, 2 rusticated stone
  const trim = mix(wall, [240, 236, 226], uniform(rng, 0.35, 0.8));
  const pillar = mix(wall, trim, uniform(rng, 0.3, 0.7));
  const frame: RGB = rng.next() < 0.6 ? jitter(rng, [232, 230, 224], 8) : jitter(rng, [70, 50, 36], 10);
  const glass = jitter(rng, [52, 64, 80], 12);
  const door = jitter(rng, pick(rng, DOORS), 10);
  const shutter = jitter(rng, pick(rng, SHUTTERS), 12);
  const sign = jitter(rng, pick(rng, SIGNS), 12);
  const iron = jitter(rng, [38, 38, 42], 6);
  const skyTop = jitter(rng, [110, 156, 214], 14);
  const skyLow = mix(skyTop, [236, 240, 246], 0.7);
  const street = jitter(rng, [96, 96, 100], 10);
  const lightFromLeft = rng.next() < 0.5;
  const lightSpread = uniform(rng, 0.08, 0.22);
  const brightness = uniform(rng, 0.85, 1.1);
  const noiseSigma = uniform(rng, 3, 8);
  const weather = valueNoise(rng, S, 6);
  const fine = valueNoise(rng, S, Math.max(8, Math.round(S / 6)));
  const brickH = Math.max(2, Math.round(5 * unit));
  const brickW = brickH * 3;

  const set = (i: number, c: RGB) => {
    img[3 * i] = c[0];
    img[3 * i + 1] = c[1];
    img[3 * i + 2] = c[2];
  };

  // Base: sky above the street line, street below; then the rectangles in paint order.
  for (let y = 0; y < S; y++) {
    const c = y >= layout.groundY ? street : mix(skyTop, skyLow, y / Math.max(1, layout.building.y1));
    for (let x = 0; x < S; x++) set(y * S + x, c);
  }

  const paint = (r: FacadeRect, f: (lx: number, ly: number, w: number, h: number, x: number, y: number) => RGB) => {
    const w = r.x1 - r.x0;
    const h = r.y1 - r.y0;
    for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) set(y * S + x, f(x - r.x0, y - r.y0, w, h, x, y));
  };
  const frameW = Math.max(1, Math.round(2 * unit));

  for (const r of layout.rects) {
    switch (r.cls) {
      case C.wall:
        paint(r, (lx, ly, _w, _h, x, y) => {
          let s = 1 + 0.05 * weather[y * S + x]! + 0.03 * fine[y * S + x]!;
          if (wallTexture === 1) {
            const row = Math.floor(ly / brickH);
            const off = row % 2 === 0 ? 0 : brickW / 2;
            if (ly % brickH === 0 || Math.floor(lx + off) % brickW === 0) s *= 0.82;
          } else if (wallTexture === 2 && ly % (brickH * 3) === 0) {
            s *= 0.85;
          }
          return scale(wall, s);
        });
        break;
      case C.pillar:
        paint(r, (lx, _ly, w) => scale(pillar, 1 + 0.12 * (lx / Math.max(1, w) - 0.5) * (lightFromLeft ? -1 : 1)));
        break;
      case C.cornice:
        paint(r, (_lx, ly, _w, h) => scale(trim, ly < h / 2 ? 1.04 : 0.9));
        break;
      case C.sill:
        paint(r, () => scale(trim, 1.02));
        break;
      case C.window:
        paint(r, (lx, ly, w, h) => {
          if (lx < frameW || ly < frameW || lx >= w - frameW || ly >= h - frameW) return frame;
          // Mullion and transom on windows big enough to have them.
          if (w > 8 * frameW && Math.abs(lx - w / 2) < frameW / 2 + 0.5) return frame;
          if (h > 10 * frameW && Math.abs(ly - h * 0.35) < frameW / 2 + 0.5) return frame;
          const reflection = 0.5 + 0.5 * Math.sin((lx + ly) / Math.max(2, w * 0.6));
          const recess = ly < frameW * 3 ? 0.75 : 1; // shadow of the lintel inside the opening
          return scale(mix(glass, skyLow, 0.15 + 0.2 * reflection), recess);
        });
        break;
      case C.door:
        paint(r, (lx, ly, w, h) => {
          if (lx < frameW || ly < frameW || lx >= w - frameW) return scale(door, 0.7);
          const inset = (lx > w * 0.15 && lx < w * 0.45) || (lx > w * 0.55 && lx < w * 0.85);
          const panel = inset && ((ly > h * 0.1 && ly < h * 0.45) || (ly > h * 0.55 && ly < h * 0.9));
          return scale(door, panel ? 0.85 : 1.05);
        });
        break;
      case C.shop:
        paint(r, (lx, ly, w, h) => {
          if (ly < h * 0.2) return ly < 1 || ly >= h * 0.2 - 1 ? scale(sign, 0.7) : sign;
          if (lx < frameW || lx >= w - frameW || ly >= h - frameW) return iron;
          const glow = 0.6 + 0.4 * Math.exp(-(((lx / w - 0.5) * 3) ** 2));
          return mix(glass, [200, 180, 140], 0.25 * glow);
        });
        break;
      case C.shutter:
        paint(r, (_lx, ly) => scale(shutter, ly % Math.max(2, Math.round(3 * unit)) === 0 ? 0.72 : 1));
        break;
      case C.balcony:
        paint(r, (lx, ly, _w, h, x, y) => {
          const slab = ly >= h - Math.max(1, Math.round(h * 0.18));
          if (slab) return scale(trim, 0.95);
          if (ly < Math.max(1, Math.round(unit * 1.5))) return iron; // hand rail
          const bar = lx % Math.max(2, Math.round(4 * unit)) === 0;
          if (bar) return iron;
          const i = y * S + x; // see-through: darken what is behind
          return [img[3 * i]! * 0.6, img[3 * i + 1]! * 0.6, img[3 * i + 2]! * 0.6];
        });
        break;
      default:
        break;
    }
  }

  // Cast shadows below cornices, sills and balconies onto wall and pillars.
  const shadowLen = Math.max(1, Math.round(3 * unit));
  for (let x = 0; x < S; x++) {
    let since = Infinity;
    for (let y = 0; y < S; y++) {
      const c = label[y * S + x]!;
      if (c === C.cornice || c === C.sill || c === C.balcony) since = 0;
      else {
        since++;
        if ((c === C.wall || c === C.pillar || c === C.window) && since <= shadowLen) {
          const i = y * S + x;
          const k = 0.7 + 0.25 * ((since - 1) / shadowLen);
          img[3 * i] = img[3 * i]! * k;
          img[3 * i + 1] = img[3 * i + 1]! * k;
          img[3 * i + 2] = img[3 * i + 2]! * k;
        }
      }
    }
  }

  // Global illumination gradient, brightness and sensor noise.
  const out = new Uint8Array(S * S * 3);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const t = x / Math.max(1, S - 1);
      const light = brightness * (1 + lightSpread * ((lightFromLeft ? 1 - t : t) - 0.5));
      const i = y * S + x;
      const outdoor = label[i] === C.background;
      for (let k = 0; k < 3; k++) {
        const noise = (rng.next() + rng.next() + rng.next() - 1.5) * noiseSigma;
        const v = img[3 * i + k]! * (outdoor ? 1 : light) + noise;
        out[3 * i + k] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
      }
    }
  }
  return out;
}
