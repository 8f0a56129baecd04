// The JavaScript client's declarations, clients/js/rt.d.ts, against a typed
// use of the whole API (clients/js/example.ts): `tsc --noEmit --strict`
// must pass, so the types match the API and refuse its misuses (the
// example's @ts-expect-error lines fail the check if they type-check).
//
//   npm ci --prefix e2e/browser && node --test e2e/browser/types.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { root } from './harness.mjs';

const tsc = path.join(root, 'e2e/browser/node_modules/typescript/bin/tsc');

test('rt.d.ts types a use of the whole client API under --strict', { timeout: 120_000 }, async () => {
  const args = [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'esnext',
    '--moduleResolution', 'bundler', '--lib', 'es2022,dom',
    path.join(root, 'clients/js/example.ts')];
  try {
    await promisify(execFile)(process.execPath, args, { cwd: root });
  } catch (e) {
    assert.fail(`tsc found type errors:\n${e.stdout}${e.stderr}`);
  }
});

test('rt.js exports exactly the classes rt.d.ts declares', async () => {
  const mod = await import(path.join(root, 'clients/js/rt.js'));
  const dts = await readFile(path.join(root, 'clients/js/rt.d.ts'), 'utf8');
  const declared = [...dts.matchAll(/^export class (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(Object.keys(mod).sort(), ['Client', 'Room', 'RtError', 'UnauthorizedError']);
  assert.deepEqual(declared, Object.keys(mod).sort());
});
