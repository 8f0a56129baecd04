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
let bin;    // the rt binary, built once in before()
let server; // the main server: {proc, port, exited}
let servers = []; // every server started, stopped in after()
let proxies = []; // every proxy started, closed in after()
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

async function build() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rt-browser-'));
  bin = path.join(dir, 'rt');
  await promisify(execFile)('go', ['build', '-o', bin, '.'], { cwd: root });
}

// startServer runs rt in embedded mode on a free port, with env added to the
// test's settings; it also allows the origins of the ports in alsoAllow
// (proxies in front of it). Its log goes to artifacts/<logName>.
async function startServer({ env: extra = {}, alsoAllow = [], logName = 'server.log' } = {}) {
  const port = await freePort();
  const env = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    JWT_SECRET: secret,
    ALLOWED_ORIGINS: [port, ...alsoAllow].map((p) => `http://localhost:${p}`).join(','),
    REDIS_URL: '',
    DEMO_PAGE: 'true',
    HEARTBEAT_INTERVAL: '1',
    IDLE_TIMEOUT: String(IDLE_TIMEOUT),
    API_ADDR: '', // not the shell's: every server would claim the same port
    API_KEY: '',
    ...extra,
  };
  const proc = spawn(bin, [], { cwd: path.dirname(bin), env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(path.join(artifacts, logName));
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const srv = { proc, port, exited };
  servers.push(srv);
  process.once('exit', () => proc.kill('SIGKILL')); // in case the runner dies before after()

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`rt exited with ${proc.exitCode}; see ${artifacts}/${logName}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) return srv;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error('rt never answered /readyz with 200');
    await sleep(100);
  }
}

async function stopServer({ proc, exited }) {
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

// startProxy listens on port and relays every TCP connection to rt on
// target: a network path between the browser and rt that the test can cut.
// cut() drops every connection through it and refuses new ones (the page
// sees its socket lost, 1006, and its reconnects fail) until restore().
async function startProxy(port, target) {
  const open = new Set();
  let up = true;
  const srv = net.createServer((client) => {
    if (!up) return client.destroy();
    const upstream = net.connect(target, '127.0.0.1');
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(drop);
    };
    open.add(drop);
    for (const s of [client, upstream]) {
      s.on('error', drop);
      s.on('close', drop);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', resolve);
  });
  const proxy = {
    port,
    cut() {
      up = false;
      [...open].forEach((drop) => drop());
    },
    restore() { up = true; },
    close() {
      proxy.cut();
      return new Promise((resolve) => srv.close(resolve));
    },
  };
  proxies.push(proxy);
  return proxy;
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
// cookies: another user) and records every state the page goes through, and
// every frame its sockets send and receive (page.sent, page.received).
async function newPage(origin, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
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
  page.sent = [];
  page.received = [];
  const parse = (payload) => { try { return JSON.parse(payload); } catch { return { raw: String(payload) }; } };
  page.urls = [];
  page.on('websocket', (w) => {
    page.sockets++;
    page.urls.push(w.url());
    w.on('framesent', ({ payload }) => page.sent.push(parse(payload)));
    w.on('framereceived', ({ payload }) => page.received.push(parse(payload)));
  });
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
    const rooms = [...document.querySelectorAll('#rooms li')].map((li) => `${li.dataset.room}:${li.dataset.state}` +
      `${li.classList.contains('current') ? ':shown' : ''}:${li.querySelector('.unread').textContent}`);
    return `state=${s.dataset.state} "${s.textContent}" detail="${document.getElementById('detail').textContent}" ` +
      `history=${window.__states.join('>')} rooms=[${rooms}] presence=[${users}] ` +
      `typing="${document.getElementById('typing').textContent}" messages=${JSON.stringify(lines)}`;
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

// chats lists a page's chat lines in the order shown: user, text and id.
const chats = (page) => page.evaluate(() => [...document.querySelectorAll('#messages li.msg')].map((li) => ({
  user: li.querySelector('.user')?.textContent, text: li.querySelector('.text')?.textContent, id: li.dataset.id,
})));

const texts = async (page) => (await chats(page)).map((c) => c.text);

// waitTexts waits until the page's chat lines are exactly want, in order.
const waitTexts = (page, want) => until(page, `chat lines ${JSON.stringify(want)}`,
  (w) => JSON.stringify([...document.querySelectorAll('#messages li.msg .text')].map((e) => e.textContent)) ===
    JSON.stringify(w), want);

// onceInOrder asserts that every chat line has an id, no id twice, and that
// they increase down the page (ids compare as strings in publish order).
async function onceInOrder(page) {
  const ids = (await chats(page)).map((c) => c.id);
  assert.ok(ids.every((id) => typeof id === 'string' && id), `every line has an id: ${ids}`);
  assert.equal(new Set(ids).size, ids.length, `no id twice: ${ids}`);
  assert.deepEqual([...ids].sort(), ids, 'ids increase down the page');
}

// sendAll posts texts from a connected page, paced under RATE_LIMIT/RATE_BURST.
async function sendAll(page, list) {
  await page.evaluate(async (l) => {
    for (const text of l) {
      send({ type: 'chat.message', text }); // the page's own send
      await new Promise((r) => setTimeout(r, 30));
    }
  }, list);
}

// noErrorLines: the server answered no frame of the page with system.error.
async function noErrorLines(page) {
  const errors = await page.evaluate(() => [...document.querySelectorAll('#messages li.error')].map((li) => li.textContent));
  assert.deepEqual(errors, [], 'the page got system.error');
}

const range = (from, to, prefix) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix} ${from + i}`);

// consoleClient opens a page of origin and runs in it, as a reader would
// paste them into its console, the rtConnect client of docs/protocol.md and
// a call of it for user in room, as window.chat. seen(what, re) waits for a
// console line matching re.
async function consoleClient(origin, user, room) {
  const md = await readFile(path.join(root, 'docs/protocol.md'), 'utf8');
  const client = md.match(/```js\n(\/\/ rtConnect[\s\S]*?)```/)?.[1];
  assert.ok(client, 'docs/protocol.md has the rtConnect client in a js block');
  const page = await newPage(origin); // any page of an allowed origin
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  // Like a console, evaluate ignores the page's CSP.
  await page.evaluate(`${client}\nwindow.chat = rtConnect(${JSON.stringify(room)}, ${JSON.stringify(token(user))});`);
  const seen = async (what, re) => {
    for (const end = Date.now() + WAIT; Date.now() < end; await sleep(50)) if (logs.some((l) => re.test(l))) return;
    throw new Error(`${what}: not in the console within ${WAIT} ms:\n${logs.join('\n')}`);
  };
  return { page, logs, seen };
}

// ---- rooms ------------------------------------------------------------------

const roomState = (page, room) => page.evaluate((r) => document.querySelector(`#rooms li[data-room="${r}"]`)?.dataset.state, room);

const waitRoom = (page, room, state) => until(page, `room ${room} ${state}`,
  ([r, st]) => document.querySelector(`#rooms li[data-room="${r}"]`)?.dataset.state === st, [room, state]);

// roomList is the page's list of rooms, in order: name, state, shown, unread
// badge ('' while it is hidden).
const roomList = (page) => page.evaluate(() => [...document.querySelectorAll('#rooms li')].map((li) => {
  const badge = li.querySelector('.unread');
  return { name: li.dataset.room, state: li.dataset.state, shown: li.classList.contains('current'),
    unread: badge.hidden ? '' : badge.textContent };
}));

const waitUnread = (page, room, n) => until(page, `room ${room} unread "${n}"`, ([r, want]) => {
  const badge = document.querySelector(`#rooms li[data-room="${r}"] .unread`);
  return badge && (badge.hidden ? '' : badge.textContent) === want;
}, [room, n]);

// joinRoom joins room with the join form; the room is then shown.
async function joinRoom(page, room) {
  await page.fill('#room', room);
  await page.click('#join-button');
  await waitRoom(page, room, 'joined');
  await until(page, `${room} shown`, (r) => document.querySelector('#rooms li.current')?.dataset.room === r, room);
}

async function openRoom(page, room) {
  await page.click(`#rooms li[data-room="${room}"] .open`);
  await until(page, `${room} shown`, (r) => document.getElementById('room-title').textContent === `# ${r}`, room);
}

// sendTo posts texts to room from a connected page, whichever room it shows.
async function sendTo(page, room, list) {
  await page.evaluate(async ([r, l]) => {
    for (const text of l) {
      send({ type: 'chat.message', room: r, text });
      await new Promise((done) => setTimeout(done, 30));
    }
  }, [room, list]);
}

// eventually polls fn in the test until it is true.
async function eventually(what, fn) {
  for (const end = Date.now() + WAIT; Date.now() < end; await sleep(50)) if (fn()) return;
  throw new Error(`${what}: not within ${WAIT} ms`);
}

const delivered = (page, room) => page.received.filter((f) => f.type === 'chat.delivery' && f.room === room);

// usable checks, at the page's current size, that nothing scrolls sideways,
// that each selector's element is on screen, whole, and on top where its
// middle is (not under another element), that the status line runs across
// the page and its state stays on one line.
async function usable(page, selectors) {
  const problems = await page.evaluate((sels) => {
    const out = [];
    const w = innerWidth;
    const h = innerHeight;
    if (document.documentElement.scrollWidth > w) out.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${w}`);
    for (const sel of sels) {
      const e = document.querySelector(sel);
      if (!e) { out.push(`${sel}: missing`); continue; }
      const r = e.getBoundingClientRect();
      if (r.width < 1 || r.height < 1 || getComputedStyle(e).visibility !== 'visible') { out.push(`${sel}: not shown`); continue; }
      if (r.left < -0.5 || r.top < -0.5 || r.right > w + 0.5 || r.bottom > h + 0.5) {
        out.push(`${sel}: cut off at ${Math.round(r.left)},${Math.round(r.top)}-${Math.round(r.right)},${Math.round(r.bottom)} in ${w}x${h}`);
      }
      if (e.tagName === 'BUTTON' && e.scrollWidth > e.clientWidth + 1) out.push(`${sel}: its label does not fit`);
      const top = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 10));
      if (top && top !== e && !e.contains(top)) out.push(`${sel}: covered by ${top.tagName}#${top.id}.${top.className}`);
    }
    const status = document.querySelector('.status').getBoundingClientRect();
    if (status.width < 0.8 * (w - 48)) out.push(`the status line is ${Math.round(status.width)} px wide in ${w}`);
    const state = document.getElementById('state');
    if (state.getClientRects().length !== 1 || state.getBoundingClientRect().height > 32) out.push('the state wraps');
    return out;
  }, selectors);
  assert.deepEqual(problems, [], `layout at ${page.viewportSize().width} px`);
}

// joinsOf lists the room.join frames a page sent for room, in order.
const joinsOf = (page, room) => page.sent.filter((f) => f.type === 'room.join' && f.room === room);

const states = (page) => page.evaluate(() => window.__states);
const shot = (page, name) => page.screenshot({ path: path.join(artifacts, name), fullPage: true });

function noProblems(page) {
  assert.deepEqual(page.problems, [], 'the page logged errors');
}

// ---- scenarios --------------------------------------------------------------

describe('chat page in a real browser', { timeout: 300_000 }, () => {
  let site; // http://localhost:<port>, the allowed origin
  let proxy; // a cuttable path to the same server, its origin allowed too
  let alice;
  let bob;
  let bobQuiet; // when bob's page last sent a frame of its own

  before(async () => {
    await mkdir(artifacts, { recursive: true });
    await build();
    const proxyPort = await freePort();
    server = await startServer({ alsoAllow: [proxyPort] });
    site = `http://localhost:${server.port}`;
    proxy = await startProxy(proxyPort, server.port);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(servers.map(stopServer));
    if (bin) await rm(path.dirname(bin), { recursive: true, force: true });
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

  test('g. the client in docs/protocol.md, pasted into a console, chats, tracks presence and answers pings', T, async () => {
    const { page, logs, seen } = await consoleClient(site, 'dave', 'docs');
    const dave = () => logs.join('\n');
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
  test('h. opening a room shows its last 50 messages, oldest first, above what comes live, each once', T, async () => {
    const frank = await newPage(site);
    await connect(frank, 'frank', 'history');
    await waitState(frank, 'connected');
    const old = range(1, 52, 'old');
    await sendAll(frank, old);
    await waitTexts(frank, old); // an empty room's history, then his own deliveries

    const grace = await newPage(site);
    await connect(grace, 'grace', 'history');
    await waitState(grace, 'connected');
    await waitMessage(grace, 'frank', 'old 52');
    await say(frank, 'live 1');
    await waitTexts(grace, [...old.slice(-50), 'live 1']); // the last 50 of history, then live
    await waitTexts(frank, [...old, 'live 1']);
    await onceInOrder(grace);
    await onceInOrder(frank);
    await shot(grace, '5-history-grace.png');
    await noErrorLines(grace);
    await noErrorLines(frank);
    noProblems(grace);
    noProblems(frank);
    await frank.context().close();
    await grace.context().close();
  });

  test('i. a page whose socket drops gets what was sent meanwhile, once each, and says it recovered it', T, async () => {
    const heidi = await newPage(`http://localhost:${proxy.port}`); // through the cuttable path
    await connect(heidi, 'heidi', 'recover');
    await waitState(heidi, 'connected');
    const ivan = await newPage(site);
    await connect(ivan, 'ivan', 'recover');
    // The client of docs/protocol.md, on the same cuttable path.
    const judge = await consoleClient(`http://localhost:${proxy.port}`, 'judge', 'recover');
    await judge.seen('connected', /\[rt\] connected to recover/);
    await waitPresence(heidi, ['heidi', 'ivan', 'judge']);
    await say(ivan, 'before the cut');
    await waitMessage(heidi, 'ivan', 'before the cut');
    await judge.seen('the first delivery', /ivan: before the cut/);
    const seen = (await chats(heidi)).at(-1).id;

    proxy.cut();
    await waitState(heidi, 'reconnecting');
    await waitPresence(ivan, ['ivan']); // the server saw heidi's and judge's sockets go
    await sendAll(ivan, range(1, 3, 'missed'));
    await waitMessage(ivan, 'ivan', 'missed 3');
    proxy.restore();

    await waitLine(heidi, 'reconnected, 3 missed messages recovered');
    await waitState(heidi, 'connected');
    await waitPresence(heidi, ['heidi', 'ivan', 'judge']); // presence listed again after the reconnect
    // The console client reconnects on its own backoff: "after" is sent once
    // it has recovered too, so that it is live for both, not in a replay.
    await judge.seen('the recovery', /\[rt\] reconnected, 3 missed messages recovered/);
    await say(ivan, 'after');
    await waitTexts(heidi, ['before the cut', ...range(1, 3, 'missed'), 'after']);
    await sleep(300); // nothing comes twice later either
    assert.deepEqual(await texts(heidi), ['before the cut', ...range(1, 3, 'missed'), 'after']);
    await onceInOrder(heidi);

    // One socket at a time to /ws, the room joined in it; the reconnect's
    // join resumes from the last id seen.
    const joins = joinsOf(heidi, 'recover');
    assert.equal(joins[0].since, undefined, `the first join asks for no replay: ${JSON.stringify(joins)}`);
    assert.ok(joins.length >= 2, `joined again after the cut: ${JSON.stringify(joins)}`);
    assert.ok(joins.slice(1).every((j) => j.since === seen),
      `every join after the cut resumes from ${seen}: ${JSON.stringify(joins)}`);
    await judge.seen('the message after', /ivan: after/);
    for (const t of ['before the cut', ...range(1, 3, 'missed'), 'after']) {
      const n = judge.logs.filter((l) => l.endsWith(`ivan: ${t}`)).length;
      assert.equal(n, 1, `the console client logged "${t}" ${n} times:\n${judge.logs.join('\n')}`);
    }
    await judge.page.evaluate('window.chat.close()');
    await judge.page.context().close();
    await shot(heidi, '6-recovered-heidi.png');
    await noErrorLines(heidi);
    noProblems(heidi);
    noProblems(ivan);
    await heidi.context().close();
    await ivan.context().close();
  });

  // notRecovered: a page whose last message seen was trimmed from history
  // while its socket was down says some messages could not be recovered and
  // shows what history still holds, each message once.
  async function notRecovered(env, logName, screenshot) {
    const proxyPort = await freePort();
    const small = await startServer({ env, alsoAllow: [proxyPort], logName });
    const cutter = await startProxy(proxyPort, small.port);
    const judy = await newPage(`http://localhost:${proxyPort}`);
    await connect(judy, 'judy', 'trim');
    await waitState(judy, 'connected');
    const ken = await newPage(`http://localhost:${small.port}`);
    await connect(ken, 'ken', 'trim');
    await waitPresence(judy, ['judy', 'ken']);
    await say(ken, 'seen');
    await waitMessage(judy, 'ken', 'seen');

    cutter.cut();
    await waitState(judy, 'reconnecting');
    await waitPresence(ken, ['ken']);
    const gone = range(1, 8, 'gone'); // more than HISTORY_SIZE: 'seen' is trimmed away
    await sendAll(ken, gone);
    await waitMessage(ken, 'ken', 'gone 8');
    cutter.restore();

    await waitLine(judy, 'some messages could not be recovered');
    await waitState(judy, 'connected');
    await say(ken, 'after');
    // What history still holds (the last 5), replayed and reloaded, shown once.
    await waitTexts(judy, ['seen', ...gone.slice(-5), 'after']);
    await sleep(300);
    assert.deepEqual(await texts(judy), ['seen', ...gone.slice(-5), 'after']);
    await onceInOrder(judy);
    const lines = await judy.evaluate(() => [...document.querySelectorAll('#messages li.sys')].map((li) => li.textContent));
    assert.ok(!lines.some((l) => l.includes('missed message')), `no complete-recovery notice: ${lines}`);
    await shot(judy, screenshot);
    await noErrorLines(judy);
    noProblems(judy);
    noProblems(ken);
    await ken.context().close();
    return judy;
  }

  test('j. when history no longer holds the last message seen, the page says some could not be recovered', T, async () => {
    const judy = await notRecovered({ HISTORY_SIZE: '5' }, 'server-history-5.log', '7-not-recovered-judy.png');
    await judy.context().close();
  });

  test('k. a replay longer than the send queue does not close the page: it does not count toward SEND_QUEUE', T, async () => {
    // HISTORY_SIZE = SEND_QUEUE: a full replay, history.recovered and a
    // presence frame are more than the queue holds, yet no 4002.
    const judy = await notRecovered({ HISTORY_SIZE: '5', SEND_QUEUE: '5' }, 'server-queue-5.log', '8-queue-judy.png');
    const lines = await judy.evaluate(() => [...document.querySelectorAll('#messages li.sys')].map((li) => li.textContent));
    assert.equal(lines.filter((l) => l.includes('4002')).length, 0, `no 4002: ${lines}`);
    await judy.context().close();
  });

  test('l. a reconnect refused for its since (an id of an older server version) is tried once without it', T, async () => {
    const leo = await newPage(`http://localhost:${proxy.port}`);
    await connect(leo, 'leo', 'upgrade');
    await waitState(leo, 'connected');
    await say(leo, 'kept');
    await waitMessage(leo, 'leo', 'kept');
    const ulid = '01M8AMZA8ZHNCE35NJB15EPSDF'; // what ids looked like before history: bad_since now
    await leo.evaluate((id) => { rooms.get('upgrade').lastId = id; }, ulid); // the page's own state

    proxy.cut();
    await waitState(leo, 'reconnecting');
    proxy.restore();
    await waitLine(leo, 'trying once more without resuming');
    await waitState(leo, 'connected');
    await say(leo, 'after');
    await waitTexts(leo, ['kept', 'after']); // reloaded from history, nothing twice
    await onceInOrder(leo);
    const joins = joinsOf(leo, 'upgrade');
    assert.ok(joins.some((j) => j.since === ulid), `one join resumed: ${JSON.stringify(joins)}`);
    assert.equal(joins.at(-1).since, undefined, `the last one did not: ${JSON.stringify(joins)}`);
    const refused = leo.received.filter((f) => f.type === 'system.error');
    assert.deepEqual(refused.map((f) => f.code), ['bad_since'], 'the server refused the since, and only that');
    await noErrorLines(leo);
    noProblems(leo);
    await leo.context().close();
  });

  test('m. a user the server API disconnects sees 4003 with the reason and does not reconnect', T, async () => {
    const apiPort = await freePort();
    const apiKey = randomBytes(24).toString('hex');
    const srv = await startServer({ env: { API_ADDR: `127.0.0.1:${apiPort}`, API_KEY: apiKey }, logName: 'server-api.log' });
    const origin = `http://localhost:${srv.port}`;
    const api = async (method, route, body, key = apiKey) => {
      const res = await fetch(`http://127.0.0.1:${apiPort}${route}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };

    const mike = await newPage(origin); // mike's tab in the room he is disconnected from
    await connect(mike, 'mike', 'moderated');
    await waitState(mike, 'connected');
    const docs = await consoleClient(origin, 'mike', 'moderated'); // the client of docs/protocol.md, as mike too
    await docs.seen('connected', /\[rt\] connected to moderated/);
    const elsewhere = await newPage(origin); // mike's tab in another room
    await connect(elsewhere, 'mike', 'other');
    await waitState(elsewhere, 'connected');
    const both = await newPage(origin); // mike's tab in both rooms, on one socket
    await connect(both, 'mike', 'other');
    await waitRoom(both, 'other', 'joined');
    await joinRoom(both, 'moderated');
    const nina = await newPage(origin);
    await connect(nina, 'nina', 'moderated');
    await waitPresence(nina, ['mike', 'nina']);

    assert.deepEqual(await api('POST', '/api/users/mike/disconnect', { room: 'moderated' }, `not-${apiKey}`),
      { status: 401, body: { error: 'unauthorized' } });
    assert.deepEqual(await api('POST', '/api/users/mike/disconnect', { room: 'moderated', reason: 'spamming the room' }),
      { status: 202, body: { user: 'mike', room: 'moderated' } });

    await waitState(mike, 'closed');
    const detail = await mike.textContent('#detail');
    assert.match(detail, /disconnected by the server \(4003\): spamming the room; not reconnecting/, detail);
    await waitLine(mike, 'disconnected by the server (4003): spamming the room');
    await docs.seen('the close', /\[rt\] closed: 4003 spamming the room/);
    await docs.seen('no reconnect', /\[rt\] not reconnecting: disconnected by the server/);
    await waitPresence(nina, ['nina']);
    await waitLine(nina, 'mike left');
    // The tab in both rooms loses that one only, told room.left, and stays.
    await waitRoom(both, 'moderated', 'out');
    await waitLine(both, 'removed from moderated (disconnected by the server); not joining it again');
    assert.deepEqual(both.received.find((f) => f.type === 'room.left'), { type: 'room.left', room: 'moderated', reason: 'disconnected' });
    assert.equal(await roomState(both, 'other'), 'joined');
    assert.equal(await both.getAttribute('#state', 'data-state'), 'connected');
    assert.equal(await both.isDisabled('#text'), true, 'nothing to write in a room left');

    // The room goes on: a message the backend publishes reaches nina.
    const sent = await api('POST', '/api/rooms/moderated/messages', { user: 'moderator', text: 'mike was removed' });
    assert.equal(sent.status, 201, JSON.stringify(sent));
    assert.match(sent.body.id, /^[0-9a-f]{28}$/);
    await waitMessage(nina, 'moderator', 'mike was removed');
    // A message to nina herself, whatever her rooms, shows where she looks.
    const personal = await api('POST', '/api/users/nina/messages', { text: 'your report was received' });
    assert.equal(personal.status, 202, JSON.stringify(personal));
    await waitLine(nina, 'personal message: your report was received');

    await sleep(2000); // longer than the first backoff windows: no reconnect may follow
    assert.deepEqual(await states(mike), ['disconnected', 'connecting', 'connected', 'closed'], 'no reconnect after 4003');
    assert.equal(mike.sockets, 1, 'no second attempt');
    assert.equal(docs.page.sockets, 1, 'the console client made no second attempt');
    assert.ok(!docs.logs.some((l) => /reconnecting in/.test(l)), docs.logs.join('\n'));
    assert.equal(await mike.isDisabled('#text'), true, 'the send box is disabled once closed');
    assert.equal(await mike.isEnabled('#connect'), true, 'Connect is offered again');
    // Only the room named: mike's other tab is still connected.
    assert.equal(await elsewhere.getAttribute('#state', 'data-state'), 'connected', await describePage(elsewhere));
    assert.equal(elsewhere.sockets, 1);
    await shot(mike, '9-disconnected-mike.png');

    // Without a room: every socket of the user, here the other tab; no reason.
    assert.deepEqual(await api('POST', '/api/users/mike/disconnect', {}),
      { status: 202, body: { user: 'mike', room: '' } });
    await waitState(elsewhere, 'closed');
    assert.match(await elsewhere.textContent('#detail'), /^disconnected by the server \(4003\); not reconnecting$/);
    await waitState(both, 'closed');
    assert.equal(both.sockets, 1);
    await sleep(1500);
    assert.equal(elsewhere.sockets, 1, 'no second attempt');
    assert.equal(await nina.getAttribute('#state', 'data-state'), 'connected', 'nina stays');
    await docs.page.context().close();
    for (const p of [mike, elsewhere, both, nina]) {
      await noErrorLines(p);
      noProblems(p);
      await p.context().close();
    }
    await stopServer(srv);
  });

  test('n. one socket joins three rooms: unread counts, switching, typing from another page, leaving', T, async () => {
    const olga = await newPage(site);
    await connect(olga, 'olga', 'north');
    await waitRoom(olga, 'north', 'joined');
    await joinRoom(olga, 'south');
    await joinRoom(olga, 'east');
    assert.equal(olga.sockets, 1, 'one socket for every room');
    assert.equal(new URL(olga.urls[0]).pathname, '/ws', 'the socket opens in no room');
    assert.deepEqual(olga.sent.filter((f) => f.type === 'room.join').map((f) => f.room), ['north', 'south', 'east']);
    assert.deepEqual((await roomList(olga)).map((r) => `${r.name}:${r.state}:${r.shown}`),
      ['north:joined:false', 'south:joined:false', 'east:joined:true'], 'the last room joined is shown');
    await openRoom(olga, 'north');

    // A message in a room not shown raises its count; showing it clears it.
    const pavel = await newPage(site);
    await connect(pavel, 'pavel', 'south');
    await waitPresence(pavel, ['olga', 'pavel']);
    await say(pavel, 'anyone in south?');
    await waitUnread(olga, 'south', '1');
    await say(pavel, 'olga?');
    await waitUnread(olga, 'south', '2');
    assert.equal(await olga.textContent('#rooms-unread'), '2', 'the rooms button counts them too');
    assert.deepEqual(await texts(olga), [], 'north shows none of it');
    assert.deepEqual((await roomList(olga)).map((r) => r.unread), ['', '2', '']);
    await openRoom(olga, 'south');
    await waitTexts(olga, ['anyone in south?', 'olga?']);
    await waitUnread(olga, 'south', '');
    await waitPresence(olga, ['olga', 'pavel']);

    // Typing: pavel's page signals at most once per ~2 s, olga's shows it,
    // then lets it fade a few seconds after the last one.
    const t0 = Date.now();
    const before = pavel.sent.length; // pavel's earlier messages were typed (filled) too
    await pavel.type('#text', 'yes, typing this slowly', { delay: 120 }); // about 3 s of keys
    const secs = (Date.now() - t0) / 1000;
    await until(olga, 'pavel typing', () => document.getElementById('typing').textContent === 'pavel is typing…');
    const signals = pavel.sent.slice(before).filter((f) => f.type === 'room.signal');
    assert.ok(signals.length >= 1 && signals.length <= Math.ceil(secs / 2) + 1,
      `${signals.length} signals in ${secs} s of typing`);
    assert.deepEqual(signals[0], { type: 'room.signal', room: 'south', data: { typing: true } });
    const got = olga.received.find((f) => f.type === 'room.signal');
    assert.deepEqual({ ...got, ts: typeof got.ts }, { type: 'room.signal', room: 'south', user: 'pavel', data: { typing: true }, ts: 'number' });
    assert.equal(pavel.received.filter((f) => f.type === 'room.signal').length, 0, 'a signal does not come back to its sender');
    await until(olga, 'the typing line fades', () => document.getElementById('typing').textContent === '');
    await pavel.press('#text', 'Enter');
    await waitMessage(olga, 'pavel', 'yes, typing this slowly');
    const sent = pavel.sent.filter((f) => f.type === 'chat.message').at(-1);
    await eventually('the ack', () => pavel.received.some((f) => f.type === 'chat.ack' && f.ref === sent.ref));
    const ack = pavel.received.find((f) => f.type === 'chat.ack' && f.ref === sent.ref);
    assert.equal(ack.room, 'south');
    assert.equal(ack.id, delivered(pavel, 'south').find((f) => f.text === sent.text).id, 'the ack names the delivery');

    // Leaving: the room is gone from olga's list, pavel sees her leave, and
    // nothing of it reaches olga any more; the other rooms stay.
    await joinRoom(pavel, 'east');
    await waitPresence(pavel, ['olga', 'pavel']);
    await olga.click('#rooms li[data-room="east"] .leave');
    await until(olga, 'east gone', () => !document.querySelector('#rooms li[data-room="east"]'));
    await waitPresence(pavel, ['pavel']);
    await waitLine(pavel, 'olga left');
    const leave = olga.sent.find((f) => f.type === 'room.leave');
    assert.deepEqual(olga.received.find((f) => f.type === 'room.left'), { type: 'room.left', room: 'east', reason: 'left', ref: leave.ref });
    const seen = olga.received.length;
    await say(pavel, 'east without olga');
    await openRoom(pavel, 'south');
    await say(pavel, 'south still');
    await waitMessage(olga, 'pavel', 'south still');
    assert.ok(!olga.received.slice(seen).some((f) => f.room === 'east'), 'nothing of east after room.left');
    assert.deepEqual((await roomList(olga)).map((r) => `${r.name}:${r.state}:${r.shown}`), ['north:joined:false', 'south:joined:true']);
    assert.equal(olga.sockets, 1);
    await shot(olga, '10-rooms-olga.png');

    // A reload offers the same token and rooms, south shown; Connect joins
    // them all again on one new socket, and south's history fills it.
    await olga.reload();
    await until(olga, 'the rooms offered again', () => [...document.querySelectorAll('#rooms li')]
      .map((li) => `${li.dataset.room}:${li.dataset.state}`).join() === 'north:pending,south:pending');
    assert.equal(await olga.textContent('#room-title'), '# south');
    await olga.click('#connect');
    await waitRoom(olga, 'north', 'joined');
    await waitRoom(olga, 'south', 'joined');
    await waitMessage(olga, 'pavel', 'south still');
    assert.equal(olga.sockets, 2);
    for (const p of [olga, pavel]) {
      await noErrorLines(p);
      noProblems(p);
      await p.context().close();
    }
  });

  test('o. a reconnect joins each room again from the last id seen in it and recovers each', T, async () => {
    const quinn = await newPage(`http://localhost:${proxy.port}`); // through the cuttable path
    await connect(quinn, 'quinn', 'rec-a');
    await waitRoom(quinn, 'rec-a', 'joined');
    await joinRoom(quinn, 'rec-b');
    const rita = await newPage(site);
    await connect(rita, 'rita', 'rec-a');
    await joinRoom(rita, 'rec-b');
    await waitPresence(rita, ['quinn', 'rita']);
    await sendTo(rita, 'rec-a', ['a1']);
    await sendTo(rita, 'rec-b', ['b1']);
    await waitMessage(quinn, 'rita', 'b1');
    await waitUnread(quinn, 'rec-a', '1');
    const lastA = delivered(quinn, 'rec-a').at(-1).id;
    const lastB = delivered(quinn, 'rec-b').at(-1).id;

    proxy.cut();
    await waitState(quinn, 'reconnecting');
    await waitPresence(rita, ['rita']); // rec-b, shown on rita's page
    await sendTo(rita, 'rec-a', ['a2', 'a3']);
    await sendTo(rita, 'rec-b', ['b2']);
    await eventually('rita has her messages', () => delivered(rita, 'rec-a').length === 3 && delivered(rita, 'rec-b').length === 2);
    proxy.restore();

    await waitState(quinn, 'connected');
    await waitLine(quinn, 'reconnected, 1 missed message recovered');
    await waitTexts(quinn, ['b1', 'b2']);
    await waitUnread(quinn, 'rec-a', '3'); // a1, and the two replayed
    await openRoom(quinn, 'rec-a');
    await waitLine(quinn, 'reconnected, 2 missed messages recovered');
    await waitTexts(quinn, ['a1', 'a2', 'a3']);
    await onceInOrder(quinn);
    assert.equal(joinsOf(quinn, 'rec-a').at(-1).since, lastA, 'rec-a resumes from its own last id');
    assert.equal(joinsOf(quinn, 'rec-b').at(-1).since, lastB, 'rec-b resumes from its own last id');
    const recovered = quinn.received.filter((f) => f.type === 'history.recovered').map((f) => `${f.room}:${f.count}:${f.complete}`);
    assert.deepEqual(recovered.sort(), ['rec-a:2:true', 'rec-b:1:true']);
    assert.ok(quinn.urls.every((u) => new URL(u).pathname === '/ws'), `${quinn.urls}`);
    await shot(quinn, '11-recovered-rooms-quinn.png');
    for (const p of [quinn, rita]) {
      await noErrorLines(p);
      noProblems(p);
      await p.context().close();
    }
  });

  test('p. at 390, 1000 and 1280 px every control is on screen, nothing cut off, covered or squeezed', T, async () => {
    const sam = await newPage(site);
    await connect(sam, 'sam', 'design');
    await waitRoom(sam, 'design', 'joined');
    await joinRoom(sam, 'ops');
    await joinRoom(sam, 'a-room-with-a-rather-long-name-to-see-it-ellipsised');
    await openRoom(sam, 'design');
    const tess = await newPage(site);
    await connect(tess, 'tess', 'ops');
    await say(tess, 'deploy at 5?');
    await joinRoom(tess, 'design');
    await say(tess, `a link without spaces: https://example.com/${'very-long-path/'.repeat(12)}end`);
    await say(sam, 'looks good to me');
    await waitUnread(sam, 'ops', '1');
    await waitPresence(sam, ['sam', 'tess']);

    // tess keeps typing while sam's page is measured, so "tess is typing…"
    // stays on sam's screen.
    let typing = true;
    const typist = (async () => {
      while (typing) {
        await tess.type('#text', 'x');
        await sleep(300);
      }
    })();
    try {
      for (const width of [390, 768, 1000, 1280]) { // 768: rooms a column, people a drawer
        await sam.setViewportSize({ width, height: 800 });
        await sleep(400); // panels that become drawers slide away
        await until(sam, 'tess typing', () => document.getElementById('typing').textContent === 'tess is typing…');
        const narrow = width < 700 ? ['#show-rooms', '#show-people'] : ['#room', '#join-button', '#rooms li[data-room="ops"] .unread'];
        const panels = width >= 960 ? ['#presence li'] : ['#show-people'];
        await usable(sam, ['#token', '#connect', '#disconnect', '#state', '#room-title', '#typing', '#text', '#send-button',
          '#messages li.msg:last-child', ...narrow, ...panels]);
        await shot(sam, `12-layout-${width}.png`);
      }
      // On a phone the rooms and the people are drawers.
      await sam.setViewportSize({ width: 390, height: 800 });
      await sleep(400);
      assert.equal(await sam.textContent('#rooms-unread'), '1', 'the rooms button shows what is unread');
      await sam.click('#show-rooms');
      await sleep(300); // the drawer slides in
      await usable(sam, ['#room', '#join-button', '#rooms li[data-room="ops"] .open', '#rooms li[data-room="ops"] .leave']);
      await shot(sam, '12-layout-390-rooms.png');
      await sam.click('#rooms li[data-room="ops"] .open');
      await waitMessage(sam, 'tess', 'deploy at 5?');
      await sleep(300);
      await usable(sam, ['#text', '#send-button', '#show-rooms']); // the drawer closed
      await sam.click('#show-people');
      await sleep(300);
      await usable(sam, ['#presence li']);
      await shot(sam, '12-layout-390-people.png');
      await sam.keyboard.press('Escape');
      await sleep(300);
      await usable(sam, ['#text', '#send-button']);
    } finally {
      typing = false;
      await typist;
    }
    for (const p of [sam, tess]) {
      await noErrorLines(p);
      noProblems(p);
      await p.context().close();
    }

    // A refused origin's explanation wraps inside the page.
    for (const width of [390, 1000]) {
      const page = await newPage(`http://127.0.0.1:${server.port}`, { width, height: 800 });
      await page.fill('#token', token('mallory'));
      await page.click('#connect');
      await waitState(page, 'refused');
      await usable(page, ['#token', '#connect', '#state', '#detail', '#messages li.alert']);
      await shot(page, `13-refused-${width}.png`);
      noProblems(page);
      await page.context().close();
    }
  });
});
