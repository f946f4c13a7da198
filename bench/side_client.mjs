// The parent's end of a bench side (bench/side.mjs, bench/torch_reference.py --serve): shared by
// bench/run.mjs and bench/ab.mjs.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

/**
 * Starts a side's server (`side`: `{ name, command, args, env? }`) in `cwd`, its pid added to the load
 * source's own processes; `ask(cmd)` sends one command and resolves with the payload of its `@@` answer.
 */
export function startSide(side, load, cwd) {
  const child = spawn(side.command, side.args, { cwd, env: { ...process.env, ...side.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  load.ownPids.add(child.pid);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const waiting = [];
  let exited = null;
  const fail = () => new Error(`${side.name}: exited (${exited}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('@@')) waiting.shift()?.resolve(line.slice(line.indexOf(' ') + 1));
  });
  child.on('exit', (code, signal) => {
    exited = signal ?? code;
    for (const w of waiting.splice(0)) w.reject(fail());
  });
  const next = () => new Promise((resolve, reject) => (exited !== null ? reject(fail()) : waiting.push({ resolve, reject })));
  const ready = next().then((s) => JSON.parse(s));
  return {
    ready,
    ask(cmd) {
      const answer = next();
      child.stdin.write(`${cmd}\n`);
      return answer;
    },
  };
}
