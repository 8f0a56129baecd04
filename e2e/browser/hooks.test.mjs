// The chat page with the application's backend in the loop (docs/hooks.md):
// rt started with the three hook URLs pointing at cmd/hookbackend, the
// example backend, as the docs run it. The page needs no change for
// hooks; what the backend decides shows through it as any refusal does.
//
//   npm ci --prefix e2e/browser && node --test e2e/browser/hooks.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, root, setUp, sleep, startServer, T, tearDown } from './harness.mjs';
import { connect, newPage, noProblems, say, shot, waitLine, waitMessage, waitState } from './pages.mjs';

describe('chat page with hooks and webhooks', { timeout: 180_000 }, () => {
  let backend; // { proc, out }: the example backend and what it printed
  let site;
  let dir;

  before(async () => {
    await setUp('hooks-plain.log');
    dir = await mkdtemp(path.join(os.tmpdir(), 'rt-hookbackend-'));
    const bin = path.join(dir, 'hookbackend');
    await promisify(execFile)('go', ['build', '-o', bin, './cmd/hookbackend'], { cwd: root });
    const secret = randomBytes(32).toString('hex');
    const port = await freePort();
    const proc = spawn(bin, ['-addr', `127.0.0.1:${port}`], { env: { ...process.env, HOOK_SECRET: secret }, stdio: ['ignore', 'pipe', 'pipe'] });
    backend = { proc, out: '' };
    proc.stdout.on('data', (d) => { backend.out += d; });
    const base = `http://127.0.0.1:${port}/rt`;
    for (let i = 0; ; i++) { // until it listens
      try { await fetch(`${base}/events`, { method: 'POST' }); break; } catch { if (i > 100) throw new Error('hookbackend never listened'); }
      await sleep(50);
    }
    const server = await startServer({
      logName: 'hooks-server.log',
      env: { HOOK_SECRET: secret, CONNECT_HOOK_URL: `${base}/connect`, PUBLISH_HOOK_URL: `${base}/publish`, WEBHOOK_URL: `${base}/events` },
    });
    site = `http://localhost:${server.port}`;
  });

  after(async () => {
    backend?.proc.kill('SIGTERM');
    await tearDown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a user the connect hook refuses is told the handshake was refused, and the page stops', T, async () => {
    const mallory = await newPage(site);
    await connect(mallory, 'mallory', 'lobby');
    await waitState(mallory, 'refused');
    assert.match(await mallory.textContent('#detail'), /refused by the application/);
    await shot(mallory, 'hooks-1-refused-1280.png');
    await mallory.setViewportSize({ width: 390, height: 844 });
    await sleep(500); // the drawers' transition at the new width
    await shot(mallory, 'hooks-1-refused-390.png');
    const sockets = mallory.sockets;
    await sleep(1500);
    assert.equal(mallory.sockets, sockets, 'no socket is tried after the page stopped');
    noProblems(mallory);
    await mallory.context().close();
  });

  test('a rewrite reaches everyone rewritten, a rejected message is explained to its sender only', T, async () => {
    const alice = await newPage(site);
    const bob = await newPage(site);
    await connect(alice, 'alice', 'lobby');
    await waitState(alice, 'connected');
    await connect(bob, 'bob', 'lobby');
    await waitState(bob, 'connected');
    await say(alice, '!shout hello');
    await waitMessage(bob, 'alice', 'HELLO');
    await waitMessage(alice, 'alice', 'HELLO');
    await say(alice, 'buy spam now');
    await waitLine(alice, 'error rejected: no spam here');
    await say(alice, 'after');
    await waitMessage(bob, 'alice', 'after');
    const bobSaw = bob.received.filter((f) => f.type === 'chat.delivery').map((f) => f.text);
    assert.deepEqual(bobSaw, ['HELLO', 'after'], 'bob never got the rejected message');
    await bob.setViewportSize({ width: 390, height: 844 });
    await sleep(500); // the drawers' transition at the new width
    await shot(alice, 'hooks-2-rejected-1280.png');
    await shot(bob, 'hooks-2-rewritten-390.png');
    noProblems(alice);
    noProblems(bob);
    for (let i = 0; !backend.out.includes('message.published room=lobby user=alice text="after"'); i++) {
      if (i > 100) assert.fail(`the webhook events never reached the backend; it printed:\n${backend.out}`);
      await sleep(100);
    }
    for (const line of ['room.occupied room=lobby', 'presence.join room=lobby user=alice', 'presence.join room=lobby user=bob',
      'message.published room=lobby user=alice text="HELLO"']) {
      assert.ok(backend.out.includes(line), `the backend printed ${line}; it printed:\n${backend.out}`);
    }
    assert.ok(!backend.out.includes('spam'), 'the rejected message was never published');
  });
});
