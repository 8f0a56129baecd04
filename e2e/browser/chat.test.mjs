// Real-browser test of the chat page: builds rt, starts it in embedded mode
// on a free port, and drives Debian's Chromium through playwright-core.
//
//   npm ci --prefix e2e/browser && node --test e2e/browser/*.test.mjs
//
// CHROMIUM overrides the browser binary (default /usr/bin/chromium).
// Screenshots and the server's log go to e2e/browser/artifacts/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const artifacts = path.join(here, 'artifacts');
const WAIT = 10_000; // bound on any single wait for the page
const T = { timeout: 30_000 }; // per scenario; the build in before() may take a minute on a cold cache
const IDLE_TIMEOUT = 4; // seconds; with a 1 s heartbeat a page that ignores system.ping is closed with 4000

const secret = randomBytes(32).toString('hex');
let server; // {proc, port, dir}
let browser;

// ---- server -----------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const l = net.createServer();
    l.once('error', reject);
    l.listen(0, '127.0.0.1', () => {
      const { port } = l.address();
      l.close(() => resolve(port));
    });
  });
}

async function startServer() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rt-browser-'));
  const bin = path.join(dir, 'rt');
  await promisify(execFile)('go', ['build', '-o', bin, '.'], { cwd: root });
  const port = await freePort();
  const env = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    JWT_SECRET: secret,
    ALLOWED_ORIGINS: `http://localhost:${port}`,
    REDIS_URL: '',
    DEMO_PAGE: 'true',
    HEARTBEAT_INTERVAL: '1',
    IDLE_TIMEOUT: String(IDLE_TIMEOUT),
  };
  const proc = spawn(bin, [], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(path.join(artifacts, 'server.log'));
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  server = { proc, port, dir, exited };
  process.once('exit', () => proc.kill('SIGKILL')); // in case the runner dies before after()

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`rt exited with ${proc.exitCode}; see ${artifacts}/server.log`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error('rt never answered /readyz with 200');
    await sleep(100);
  }
}

async function stopServer() {
  if (!server) return;
  const { proc, exited, dir } = server;
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
}

// token signs an HS256 JWT for sub that expires in ttl seconds.
function token(sub, ttl = 3600) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, iat: now, exp: now + ttl })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- pages ------------------------------------------------------------------

// newPage opens the chat page in a fresh browser context (its own storage and
// cookies: another user) and records every state the page goes through.
async function newPage(origin) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(() => {
    window.__states = [];
    document.addEventListener('DOMContentLoaded', () => {
      const s = document.getElementById('state');
      const push = (v) => { if (window.__states.at(-1) !== v) window.__states.push(v); };
      push(s.dataset.state);
      new MutationObserver((records) => records.forEach((r, i) =>
        push(i + 1 < records.length ? records[i + 1].oldValue : s.dataset.state),
      )).observe(s, { attributes: true, attributeFilter: ['data-state'], attributeOldValue: true });
    });
  });
  const page = await context.newPage();
  page.problems = [];
  page.sockets = 0;
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) page.problems.push(`console: ${m.text()}`);
  });
  page.on('websocket', () => page.sockets++);
  await page.goto(`${origin}/`);
  return page;
}

async function connect(page, user, room, ttl) {
  await page.fill('#room', room);
  await page.fill('#token', token(user, ttl));
  await page.click('#connect');
}

// describePage is what a failed wait reports: state, detail and the messages.
function describePage(page) {
  return page.evaluate(() => {
    const s = document.getElementById('state');
    const lines = [...document.querySelectorAll('#messages li')].map((li) => li.textContent);
    const users = [...document.querySelectorAll('#presence li')].map((li) => li.textContent);
    return `state=${s.dataset.state} "${s.textContent}" detail="${document.getElementById('detail').textContent}" ` +
      `history=${window.__states.join('>')} presence=[${users}] messages=${JSON.stringify(lines)}`;
  }).catch((e) => `(page unreadable: ${e.message})`);
}

async function until(page, what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT, polling: 50 });
  } catch (e) {
    throw new Error(`${what}: not within ${WAIT} ms; ${await describePage(page)}`, { cause: e });
  }
}

const waitState = (page, state) => until(page, `state ${state}`,
  (want) => document.getElementById('state').dataset.state === want, state);

const waitPresence = (page, users) => until(page, `presence [${users}]`,
  (want) => JSON.stringify([...document.querySelectorAll('#presence li')].map((li) => li.textContent)) ===
    JSON.stringify(want), users);

const waitMessage = (page, user, text) => until(page, `message from ${user}: ${text}`,
  ([u, t]) => [...document.querySelectorAll('#messages li.msg')].some((li) =>
    li.querySelector('.user')?.textContent === u && li.querySelector('.text')?.textContent === t), [user, text]);

const waitLine = (page, text) => until(page, `a line containing "${text}"`,
  (want) => [...document.querySelectorAll('#messages li.sys')].some((li) => li.textContent.includes(want)), text);

async function say(page, text, how = 'enter') {
  await page.fill('#text', text);
  if (how === 'enter') await page.press('#text', 'Enter');
  else await page.click('#send-button');
}

const states = (page) => page.evaluate(() => window.__states);
const shot = (page, name) => page.screenshot({ path: path.join(artifacts, name), fullPage: true });

function noProblems(page) {
  assert.deepEqual(page.problems, [], 'the page logged errors');
}

// ---- scenarios --------------------------------------------------------------

describe('chat page in a real browser', { timeout: 300_000 }, () => {
  let site; // http://localhost:<port>, the allowed origin
  let alice;
  let bob;
  let bobQuiet; // when bob's page last sent a frame of its own

  before(async () => {
    await mkdir(artifacts, { recursive: true });
    await startServer();
    site = `http://localhost:${server.port}`;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await stopServer();
  });

  test('a. two users in one room both connect and see each other present', T, async () => {
    alice = await newPage(site);
    assert.equal(await alice.isDisabled('#text'), true, 'the send box is disabled before connecting');
    assert.equal(await alice.isVisible('#hint'), true, 'the empty message area says what to do first');
    assert.match(await alice.textContent('#hint'), /go tool task token -- -sub alice.*Connect/s);
    await connect(alice, 'alice', 'lobby');
    await waitState(alice, 'connected');
    assert.equal(await alice.isVisible('#hint'), false, 'the hint is gone once there is a line');
    await waitPresence(alice, ['alice']);

    bob = await newPage(site);
    await connect(bob, 'bob', 'lobby');
    await waitState(bob, 'connected');
    await waitPresence(bob, ['alice', 'bob']); // from presence.state
    await waitPresence(alice, ['alice', 'bob']); // from presence.join
    await waitLine(alice, 'bob joined');
    assert.equal(await alice.isEnabled('#text'), true, 'the send box is enabled once connected');
  });

  test("b. a message typed in alice's page appears in bob's with user alice", T, async () => {
    await say(alice, 'hello bob');
    await waitMessage(bob, 'alice', 'hello bob');
    await waitMessage(alice, 'alice', 'hello bob'); // the sender gets its own delivery
    await say(bob, 'hi alice! how is the new server?', 'button');
    await waitMessage(alice, 'bob', 'hi alice! how is the new server?');
    await say(alice, 'fast. <b>markup</b> stays text');
    await waitMessage(bob, 'alice', 'fast. <b>markup</b> stays text');
    assert.equal(await bob.locator('#messages b').count(), 0, 'user text must not become HTML');
    await say(bob, 'nice, see you in a bit');
    await waitMessage(alice, 'bob', 'nice, see you in a bit');
    bobQuiet = Date.now();
    const time = await bob.locator('#messages li.msg .time').first().textContent();
    assert.match(time, /\d{1,2}:\d{2}:\d{2}/, 'each message shows its local time');
    await shot(bob, '1-chat-bob.png');
    await shot(alice, '1-chat-alice.png');
    noProblems(alice);
    noProblems(bob);
  });

  test("c. closing alice's page drops her from bob's presence with a leave line", T, async () => {
    await alice.context().close();
    await waitPresence(bob, ['bob']);
    await waitLine(bob, 'alice left');
    await shot(bob, '2-leave-bob.png');
  });

  test('d. a page on an origin not in ALLOWED_ORIGINS is refused, says why and where to go instead', T, async () => {
    const origin = `http://127.0.0.1:${server.port}`;
    const page = await newPage(origin);
    await connect(page, 'mallory', 'lobby');
    await waitState(page, 'refused');
    const detail = await page.textContent('#detail');
    assert.ok(detail.includes(origin), `the message names the origin: ${detail}`);
    assert.ok(detail.includes('ALLOWED_ORIGINS'), `the message names ALLOWED_ORIGINS: ${detail}`);
    assert.ok(detail.includes(`open the page at ${site} instead`), `the message names the origin to use: ${detail}`);
    await waitLine(page, origin);
    await sleep(1500); // longer than the first backoff window: no retry may follow
    const seen = await states(page);
    assert.ok(!seen.includes('connected'), `never connected: ${seen}`);
    assert.equal(seen.at(-1), 'refused', `stays refused: ${seen}`);
    assert.equal(page.sockets, 1, 'no second attempt');
    await shot(page, '3-origin-refused.png');
    noProblems(page);
    await page.context().close();
  });

  test('e. a token that expires shows the server close 4001 and does not reconnect', T, async () => {
    const page = await newPage(site);
    await connect(page, 'carol', 'expiry', 3); // exp 2 to 3 s from now
    await waitState(page, 'connected');
    await waitState(page, 'closed');
    const detail = await page.textContent('#detail');
    assert.match(detail, /closed by server: 4001 token expired/, detail);
    await waitLine(page, 'closed by server: 4001 token expired');
    await sleep(1500);
    const seen = await states(page);
    assert.deepEqual(seen, ['disconnected', 'connecting', 'connected', 'closed'], 'no reconnect after 4001');
    assert.equal(page.sockets, 1, 'no second attempt');
    assert.equal(await page.isDisabled('#text'), true, 'the send box is disabled once closed');
    await shot(page, '4-token-expired.png');
    noProblems(page);
    await page.context().close();
  });

  test('f. an idle page answers system.ping and stays connected', T, async () => {
    // bob has only listened since the end of b.; the server pings every
    // second and closes a client silent for IDLE_TIMEOUT, so only the page's
    // system.pong answers keep it open.
    await sleep(bobQuiet + IDLE_TIMEOUT * 1000 + 500 - Date.now());
    assert.equal(await bob.getAttribute('#state', 'data-state'), 'connected', await describePage(bob));
    assert.deepEqual(await states(bob), ['disconnected', 'connecting', 'connected'], 'bob never reconnected');
    assert.equal(bob.sockets, 1);
    noProblems(bob);
  });

  test('g. the client in docs/PROTOCOL.md, pasted into a console, chats, tracks presence and answers pings', T, async () => {
    const md = await readFile(path.join(root, 'docs/PROTOCOL.md'), 'utf8');
    const client = md.match(/```js\n(\/\/ rtConnect[\s\S]*?)```/)?.[1];
    assert.ok(client, 'docs/PROTOCOL.md has the rtConnect client in a js block');
    const page = await newPage(site); // any page of an allowed origin
    const logs = [];
    page.on('console', (m) => logs.push(m.text()));
    // What a reader pastes: the client, then a call. (Like a console, evaluate ignores the page's CSP.)
    await page.evaluate(`${client}\nwindow.chat = rtConnect("docs", ${JSON.stringify(token('dave'))});`);
    const dave = () => logs.join('\n');
    const seen = async (what, re) => {
      for (const end = Date.now() + WAIT; Date.now() < end; await sleep(50)) if (re.test(dave())) return;
      throw new Error(`${what}: not in the console within ${WAIT} ms:\n${dave()}`);
    };
    await seen('connected', /\[rt\] connected to docs/);

    const erin = await newPage(site);
    await connect(erin, 'erin', 'docs');
    await waitPresence(erin, ['dave', 'erin']);
    await seen('presence with erin', /\[rt\] present: .*erin/);
    await say(erin, 'hello console');
    await seen('the delivery', /\[rt\] .*erin: hello console/);
    assert.equal(await page.evaluate('window.chat.send("hello page")'), true);
    await waitMessage(erin, 'dave', 'hello page');

    // Silent apart from its pongs for longer than IDLE_TIMEOUT: still the same socket.
    await sleep(IDLE_TIMEOUT * 1000 + 500);
    assert.doesNotMatch(dave(), /\[rt\] closed/, 'the client answered every system.ping');
    assert.deepEqual(await page.evaluate('[...window.chat.users].sort()'), ['dave', 'erin']);
    await page.evaluate('window.chat.close()');
    await waitPresence(erin, ['erin']);
    await sleep(1000);
    assert.doesNotMatch(dave(), /reconnecting/, 'no reconnect after close()');
    assert.equal(page.sockets, 1);
    await page.context().close();
    await erin.context().close();
  });
});
