/**
 * Random but plausible facade layouts: a building with floors, a grid of windows per floor, a door or
 * shop fronts on the ground floor, balconies, cornices, sills, pillars and shutters. A layout is a list
 * of axis-aligned rectangles painted in order (later ones cover earlier ones).
 * @internal
 */
import { Rng } from '../../util/random.js';
import { facadeClassId, type FacadeClass } from './palette.js';

/** One painted rectangle of a facade, in pixels: `[x0, x1) x [y0, y1)`. @internal */
export interface FacadeRect {
  /** Class id (index into `FACADE_CLASSES`). */
  cls: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A facade layout at one image size. @internal */
export interface FacadeLayout {
  size: number;
  /** Rectangles in paint order. */
  rects: FacadeRect[];
  /** Building outline (wall) and the street line (background below `groundY`). */
  building: { x0: number; y0: number; x1: number; y1: number };
  /** First row of the street (background below the building). */
  groundY: number;
}

const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng.next();

/** Draws a layout for a `size` x `size` image from `rng`. @internal */
export function facadeLayout(size: number, rng: Rng): FacadeLayout {
  const px = (u: number) => Math.max(0, Math.min(size, Math.round(u * size)));
  const rects: FacadeRect[] = [];
  const add = (cls: FacadeClass, x0: number, y0: number, x1: number, y1: number, minPx = 1) => {
    const a = px(x0);
    let b = px(x1);
    const c = px(y0);
    let d = px(y1);
    if (b - a < minPx) b = Math.min(size, a + minPx);
    if (d - c < minPx) d = Math.min(size, c + minPx);
    if (b > a && d > c) rects.push({ cls: facadeClassId(cls), x0: a, y0: c, x1: b, y1: d });
  };

  // Building outline: sky above, optional gaps at the sides, a strip of street below.
  const sky = uniform(rng, 0.03, 0.14);
  const sideGaps = rng.next() < 0.45;
  const left = sideGaps ? uniform(rng, 0.0, 0.07) : 0;
  const right = sideGaps ? 1 - uniform(rng, 0.0, 0.07) : 1;
  const street = uniform(rng, 0.0, 0.04);
  const bottom = 1 - street;
  add('wall', left, sky, right, bottom);

  const roofH = uniform(rng, 0.018, 0.045);
  const overhang = uniform(rng, 0, 0.015);
  const top = sky + roofH;

  // Pillars (pilasters) at the building edges, sometimes between window bays too.
  const hasPillars = rng.next() < 0.4;
  const pillarW = uniform(rng, 0.02, 0.04);
  const innerL = left + (hasPillars ? pillarW : uniform(rng, 0.01, 0.04));
  const innerR = right - (hasPillars ? pillarW : uniform(rng, 0.01, 0.04));

  const floors = 2 + rng.int(5); // upper floors: 2..6
  const groundH = (bottom - top) * uniform(rng, 0.16, 0.26);
  const floorH = (bottom - top - groundH) / floors;
  const groundTop = bottom - groundH;
  const cols = 2 + rng.int(5); // window bays: 2..6
  const colW = (innerR - innerL) / cols;

  const winW = colW * uniform(rng, 0.36, 0.6);
  const winH = floorH * uniform(rng, 0.45, 0.66);
  const winTop = floorH * uniform(rng, 0.14, 0.26);
  const hasSills = rng.next() < 0.75;
  const sillH = Math.max(uniform(rng, 0.008, 0.016), 1 / size);
  const hasShutters = rng.next() < 0.3;
  const shutterW = Math.min(winW * 0.45, (colW - winW) * 0.45);
  const stringCourses = rng.next() < 0.5;
  const balconyStyle = rng.next(); // < 0.35 none, < 0.7 per window, else continuous per floor
  const balconyFloorP = uniform(rng, 0.3, 1);
  const pillarBetween = hasPillars && rng.next() < 0.35;

  if (hasPillars) {
    add('pillar', left, top, left + pillarW, bottom);
    add('pillar', right - pillarW, top, right, bottom);
    if (pillarBetween) {
      for (let c = 1; c < cols; c++) {
        const x = innerL + c * colW;
        add('pillar', x - pillarW * 0.35, top, x + pillarW * 0.35, groundTop);
      }
    }
  }

  for (let f = 0; f < floors; f++) {
    const fy = top + f * floorH;
    if (stringCourses && f > 0) add('cornice', left, fy - sillH * 0.6, right, fy + sillH * 0.6);
    const balconies = f > 0 && balconyStyle >= 0.35 && rng.next() < balconyFloorP;
    const continuous = balconies && balconyStyle >= 0.7;
    const wy0 = fy + winTop;
    const wy1 = wy0 + winH;
    for (let c = 0; c < cols; c++) {
      const cx = innerL + (c + 0.5) * colW;
      const wx0 = cx - winW / 2;
      const wx1 = cx + winW / 2;
      if (hasShutters && !balconies) {
        add('shutter', wx0 - shutterW, wy0, wx0, wy1);
        add('shutter', wx1, wy0, wx1 + shutterW, wy1);
      }
      // Balcony windows are French windows reaching down to the floor of the balcony.
      add('window', wx0, wy0, wx1, balconies ? fy + floorH - sillH : wy1, 2);
      if (balconies && !continuous) {
        add('balcony', wx0 - colW * 0.08, fy + floorH - floorH * 0.3, wx1 + colW * 0.08, fy + floorH, 2);
      } else if (!balconies && hasSills) {
        add('sill', wx0 - colW * 0.05, wy1, wx1 + colW * 0.05, wy1 + sillH);
      }
    }
    if (continuous) add('balcony', innerL, fy + floorH - floorH * 0.3, innerR, fy + floorH, 2);
  }

  // Ground floor: shop fronts or windows, and one door.
  const shops = rng.next() < 0.5;
  const doorCol = rng.int(cols);
  const doorW = Math.min(colW * 0.8, colW * uniform(rng, 0.4, 0.6));
  const doorTop = groundTop + groundH * uniform(rng, 0.12, 0.3);
  add('cornice', left - overhang / 2, groundTop - sillH, right + overhang / 2, groundTop + sillH);
  for (let c = 0; c < cols; c++) {
    const cx = innerL + (c + 0.5) * colW;
    if (c === doorCol) {
      add('door', cx - doorW / 2, doorTop, cx + doorW / 2, bottom, 2);
    } else if (shops) {
      add('shop', cx - colW * 0.42, groundTop + groundH * 0.15, cx + colW * 0.42, bottom - groundH * 0.04, 2);
    } else {
      const gy0 = groundTop + groundH * uniform(rng, 0.2, 0.3);
      add('window', cx - winW / 2, gy0, cx + winW / 2, gy0 + groundH * 0.5, 2);
      if (hasSills) add('sill', cx - winW / 2 - colW * 0.05, gy0 + groundH * 0.5, cx + winW / 2 + colW * 0.05, gy0 + groundH * 0.5 + sillH);
    }
  }

  // Roof cornice last: it overhangs the wall.
  add('cornice', left - overhang, sky, right + overhang, top, 1);

  return {
    size,
    rects,
    building: { x0: px(left), y0: px(sky), x1: px(right), y1: px(bottom) },
    groundY: px(bottom),
  };
}
