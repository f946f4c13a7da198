// Runs every ```js code block of README.md as an ES module in a fresh Node process, importing the built
// package by its name (Node resolves a package's own name through its exports map), so the README's examples
// cannot rot. A block whose first line is `// not run` is skipped on purpose (e.g. browser-only code).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
const runnable = blocks.filter((b) => !b.startsWith('// not run'));

describe('README code blocks', () => {
  it('has a runnable quick start', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(1);
  });

  runnable.forEach((code, i) => {
    it(`block ${i + 1} runs: ${code.split('\n')[0]}`, () => {
      const dir = `${root}.cache/readme`;
      mkdirSync(dir, { recursive: true });
      const file = `${dir}/block-${i + 1}.mjs`;
      writeFileSync(file, code);
      const out = execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(typeof out).toBe('string');
    });
  });
});
