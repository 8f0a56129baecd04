// The admin page (/admin on the server API's listener, docs/admin.md) in a
// real Chromium: signing in with API_KEY, the node, the busiest rooms, a
// room's presence and messages, disconnecting a user whose chat page is
// open, where the key is kept, and how the page looks on a phone and on a
// desktop (screenshots in the OS temp dir, rt-admin-shots/).
//
//   npm ci --prefix e2e/browser && node --test e2e/browser/admin.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setUp, shared, sleep, startAPIServer, T, tearDown } from './harness.mjs';
import { connect, newPage, say, until, waitMessage, waitState } from './pages.mjs';

const shots = path.join(os.tmpdir(), 'rt-admin-shots');

describe('admin page', { timeout: 180_000 }, () => {
  let server; // rt with the API on
  let admin; // the admin page
  let alice, bob; // chat pages in room ops
  const problems = [];

  before(async () => {
    await mkdir(shots, { recursive: true });
    await setUp('admin-plain.log');
    server = await startAPIServer({ logName: 'admin-server.log' });
    const site = `http://localhost:${server.port}`;
    alice = await newPage(site);
    await connect(alice, 'alice', 'ops');
    await waitState(alice, 'connected');
    bob = await newPage(site);
    await connect(bob, 'bob', 'ops');
    await waitState(bob, 'connected');
    await say(alice, 'deploy at noon');
    await waitMessage(bob, 'alice', 'deploy at noon');

    const context = await shared.browser.newContext({ viewport: { width: 1280, height: 900 } });
    admin = await context.newPage();
    admin.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // The 401 and 400 answers the tests ask for are logged too; a CSP
    // violation is what must not be.
    admin.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`); });
    await admin.goto(`${server.apiOrigin}/admin`);
  });

  after(tearDown);

  const key = () => admin.evaluate(() => sessionStorage.getItem('rt.admin.key'));
  const rows = (sel) => admin.evaluate((s) => [...document.querySelectorAll(`${s} tbody tr`)]
    .map((tr) => [...tr.cells].map((td) => td.textContent.trim())), sel);

  test('a wrong key is refused and not kept', T, async () => {
    await admin.fill('#key', 'not-the-key');
    await admin.click('#sign-in');
    await until(admin, 'the wrong key refused', () => /Wrong key/.test(document.getElementById('login-error').textContent));
    assert.equal(await key(), null);
    assert.equal(await admin.isVisible('#dashboard'), false);
  });

  test('the right key shows the node, kept in sessionStorage only', T, async () => {
    await admin.fill('#key', server.apiKey);
    await admin.click('#sign-in');
    await until(admin, 'the node listed', () => document.querySelectorAll('#nodes tbody tr').length === 1);
    const [[id, version, conns, rooms, , backend]] = await rows('#nodes');
    assert.match(id, /-[0-9a-f]{8}$/);
    assert.ok(version.length > 0);
    assert.equal(conns, '2');
    assert.equal(rooms, '1');
    assert.match(backend, /ok.*embedded/);
    assert.equal(await key(), server.apiKey);
    assert.ok(!admin.url().includes(server.apiKey), 'the key is not in the URL');
    assert.deepEqual(await admin.context().cookies(), [], 'no cookie');
    assert.equal(await admin.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
  });

  test('the busiest rooms list ops with its two users', T, async () => {
    await until(admin, 'ops among the rooms', () => document.querySelector('#rooms tbody tr[data-room="ops"]'));
    assert.deepEqual((await rows('#rooms'))[0], ['ops', '2', '2']);
  });

  test('a room lookup shows presence and the last message', T, async () => {
    await admin.click('#rooms tbody tr[data-room="ops"] button');
    await until(admin, 'the lookup', () => !document.getElementById('lookup-result').hidden);
    const users = await admin.$$eval('#presence li', (lis) => lis.map((li) => li.textContent));
    assert.deepEqual(users, ['alice', 'bob']);
    assert.match(await admin.textContent('#messages'), /alice: deploy at noon/);
    await admin.fill('#lookup-room', 'no such room!');
    await admin.click('#lookup button');
    await until(admin, 'a bad name refused', () => /not a valid room name/.test(document.getElementById('lookup-error').textContent));
    await admin.fill('#lookup-room', 'ops');
    await admin.click('#lookup button');
  });

  test('disconnecting a user asks first, then closes their socket with 4003', T, async () => {
    await admin.fill('#kick-user', 'alice');
    await admin.fill('#kick-reason', 'maintenance');
    await admin.click('#kick-button');
    assert.match(await admin.textContent('#kick-question'), /alice in every room/);
    await admin.click('#kick-no'); // cancelled: nothing is sent
    await sleep(300);
    assert.equal(await alice.getAttribute('#state', 'data-state'), 'connected');
    await admin.click('#kick-button');
    await admin.click('#kick-yes');
    await until(admin, 'the answer', () => /being closed/.test(document.getElementById('kick-result').textContent));
    await until(alice, 'closed with 4003', () => /4003\): maintenance/.test(document.getElementById('detail').textContent));
    assert.equal(await bob.getAttribute('#state', 'data-state'), 'connected');
  });

  test('the charts draw samples; screenshots at 375 and 1280 px', { timeout: 60_000 }, async () => {
    // Samples come every 5 s: wait for two, so each chart has a line.
    await admin.waitForFunction(() => [...document.querySelectorAll('.chart')]
      .every((c) => new Set(c.querySelector('polyline')?.getAttribute('points').split(' ')).size >= 2),
    undefined, { timeout: 20_000, polling: 100 });
    await admin.screenshot({ path: path.join(shots, 'admin-1280.png'), fullPage: true });
    await admin.setViewportSize({ width: 375, height: 812 });
    await sleep(300);
    const overflow = await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 375 px screen`);
    await admin.screenshot({ path: path.join(shots, 'admin-375.png'), fullPage: true });
    await admin.setViewportSize({ width: 1280, height: 900 });
  });

  test('sign out forgets the key', T, async () => {
    await admin.click('#sign-out');
    assert.equal(await key(), null);
    assert.ok(await admin.isVisible('#login'));
    await admin.reload();
    assert.ok(await admin.isVisible('#login'), 'a reload asks for the key again');
    assert.deepEqual(problems, [], 'the page threw or broke its CSP');
  });
});
