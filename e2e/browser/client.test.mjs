// The JavaScript client library (clients/js/rt.js, served by rt at
// /client.js) driven in real Chromium against real rt: every page imports
// it from the server and runs a Client; some talk through the harness's
// cuttable proxy. Recovery across ten cuts in five rooms, presence across
// cuts, the token refreshed before it expires, a server-side disconnect,
// publish acks, the publish queue, refusals, and the served files.
//
//   npm ci --prefix e2e/browser && node --test e2e/browser/client.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { root, setUp, shared, startAPIServer, startServer, tearDown, token, tokenWith, WAIT } from './harness.mjs';

// clientPage opens <origin>/healthz (a page of rt's origin with no script
// of its own) in a fresh browser context, imports the client from module
// and makes a Client for user there, as window.__rt, that records what it
// emits in window.__rt.log. Each getToken signs a new token for user that
// expires in ttl seconds, or asks tokens(n) for the n-th (1, 2...), which
// may also answer UNAUTHORIZED or FAIL; page.tokens counts the calls. page.sockets holds
// each WebSocket's frames, both ways. Timers the library has pending are
// tracked in window.__timers (by the stack that set them).
const UNAUTHORIZED = '!unauthorized'; // getToken throws UnauthorizedError
const FAIL = '!fail'; // getToken throws another error
async function clientPage(origin, user, { ttl = 3600, tokens = () => token(user, ttl), options = {}, module = '/client.js' } = {}) {
  const context = await shared.browser.newContext();
  await context.addInitScript(() => {
    const live = new Map();
    window.__timers = live;
    const set = window.setTimeout.bind(window);
    const clear = window.clearTimeout.bind(window);
    window.setTimeout = (fn, ms, ...args) => {
      if (!/\/client[^/]*\.js/.test(new Error().stack)) return set(fn, ms, ...args);
      const id = set((...a) => {
        live.delete(id);
        fn(...a);
      }, ms, ...args);
      live.set(id, ms);
      return id;
    };
    window.clearTimeout = (id) => {
      live.delete(id);
      clear(id);
    };
  });
  const page = await context.newPage();
  page.user = user;
  page.tokens = 0;
  page.sockets = [];
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  // The library reports a listener that threw as "rt: ..." (a failed
  // socket or a 404 logs errors of the browser's own, which are expected here).
  page.on('console', (m) => m.type() === 'error' && m.text().startsWith('rt:') && page.problems.push(`console: ${m.text()}`));
  page.on('websocket', (w) => {
    const s = { url: w.url(), sent: [], received: [] };
    page.sockets.push(s);
    w.on('framesent', ({ payload }) => s.sent.push(JSON.parse(payload)));
    w.on('framereceived', ({ payload }) => s.received.push(JSON.parse(payload)));
  });
  await page.exposeFunction('__token', () => tokens(++page.tokens));
  await page.goto(`${origin}/healthz`);
  await page.evaluate(async ({ options, module, UNAUTHORIZED, FAIL }) => {
    const { Client, RtError, UnauthorizedError } = await import(module);
    const log = { states: [], errors: [], userMessages: [], rooms: {} };
    const getToken = async () => {
      const t = await window.__token();
      if (t === UNAUTHORIZED) throw new UnauthorizedError('no more tokens');
      if (t === FAIL) throw new Error('the token service is down');
      return t;
    };
    const client = new Client({ ...options, getToken });
    client.on('state', (s) => log.states.push(s));
    client.on('error', (e) => log.errors.push({ name: e.name, code: e.code, message: e.message }));
    client.on('message', (m) => log.userMessages.push(m));
    // room(name) is client.room(name), with its events recorded once.
    const room = (name) => {
      const r = client.room(name);
      if (!log.rooms[name]) {
        const l = log.rooms[name] = { messages: [], recovered: [], presence: [], signals: [], left: [], joined: 0 };
        r.on('message', (m) => l.messages.push(m));
        r.on('recovered', (x) => l.recovered.push(x));
        r.on('presence', (u) => l.presence.push(u));
        r.on('signal', (s) => l.signals.push(s));
        r.on('left', (x) => l.left.push(x));
        r.on('joined', () => l.joined++);
      }
      return r;
    };
    // settle turns a promise into what it came to, for page.evaluate.
    const settle = (p) => p.then((value) => ({ value }),
      (e) => ({ error: { name: e.name, code: e.code, isRtError: e instanceof RtError } }));
    window.__rt = { client, log, room, settle };
    client.connect();
  }, { options, module, UNAUTHORIZED, FAIL });
  return page;
}

// describe is what a failed wait reports about a page.
function describe_(page) {
  return page.evaluate(() => {
    const { client, log } = window.__rt;
    const rooms = Object.entries(log.rooms).map(([n, l]) => `${n}: ${l.messages.length} messages, ` +
      `recovered ${JSON.stringify(l.recovered)}, users [${client.room(n).users}]`);
    return `state=${client.state} states=${log.states.map((s) => `${s.state}(${s.code})`).join('>')} ` +
      `errors=${JSON.stringify(log.errors)} ${rooms.join('; ')}`;
  }).catch((e) => `(page unreadable: ${e.message})`);
}

// eventually waits for fn() to hold, in the test's own process.
async function eventually(what, fn, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function until(page, what, fn, arg, timeout = WAIT) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (e) {
    throw new Error(`${page.user}: ${what}: not within ${timeout} ms; ${await describe_(page)}`, { cause: e });
  }
}

const waitState = (page, state, code) => until(page, `state ${state}`, ([s, c]) =>
  window.__rt.client.state === s && (c === undefined || window.__rt.client.code === c), [state, code]);

const waitUsers = (page, room, users) => until(page, `users of ${room} [${users}]`, ([r, u]) =>
  JSON.stringify(window.__rt.room(r).users) === JSON.stringify(u), [room, users]);

const join = (page, rooms) => page.evaluate((names) => Promise.all(names.map((n) => window.__rt.room(n).join())), rooms);

// publish publishes in page and resolves with the outcome: {value: ack} or {error}.
const publish = (page, room, what) => page.evaluate(([r, w]) => window.__rt.settle(window.__rt.room(r).publish(w)), [room, what]);

const log = (page) => page.evaluate(() => window.__rt.log);
const ids = (l, room) => l.rooms[room].messages.map((m) => m.id);
// opened is the page's sockets that got anywhere: a reconnect attempt
// while the proxy is cut never receives a frame.
const opened = (page) => page.sockets.filter((s) => s.received.length > 0);
const frames = (page, dir, type) => page.sockets.flatMap((s) => s[dir]).filter((f) => f.type === type);

// closeAll closes pages, after checking none of them had a script error.
async function closeAll(...pages) {
  for (const p of pages) {
    assert.deepEqual(p.problems, [], `${p.user}: no page errors`);
    await p.context().close();
  }
}

describe('the JavaScript client in a real browser', { timeout: 600_000 }, () => {
  let server;
  let site; // rt's own origin, never cut
  let proxy;
  let cut; // the origin through the cuttable proxy

  before(async () => {
    ({ server, site, proxy } = await setUp('server-client.log'));
    cut = `http://localhost:${proxy.port}`;
  });

  after(tearDown);

  test('a tab in 5 rooms misses nothing across 10 cuts: each id once, in order, every recovery complete', { timeout: 120_000 }, async () => {
    const rooms = ['cuts-1', 'cuts-2', 'cuts-3', 'cuts-4', 'cuts-5'];
    const rx = await clientPage(cut, 'rx', { options: { minDelay: 100, maxDelay: 1000 } });
    const tx = await clientPage(site, 'tx');
    await join(rx, rooms);
    await join(tx, rooms);
    for (const r of rooms) await waitUsers(rx, r, ['rx', 'tx']);

    // tx publishes round the rooms, 10 a second, until told to stop.
    await tx.evaluate((names) => {
      const p = window.__pub = { acks: [], errors: [], sent: 0 };
      p.timer = setInterval(() => {
        const room = names[p.sent % names.length];
        const text = `m${p.sent++}`;
        window.__rt.room(room).publish(text).then((a) => p.acks.push({ room, text, id: a.id }),
          (e) => p.errors.push(e.code));
      }, 100);
    }, rooms);
    const acked = () => tx.evaluate(() => window.__pub.acks.length);
    await until(rx, 'a message in every room', (names) =>
      names.every((n) => window.__rt.log.rooms[n].messages.length > 0), rooms);

    for (let round = 1; round <= 10; round++) {
      proxy.cut();
      await waitState(rx, 'connecting');
      const n = await acked();
      await until(tx, 'five more messages published during the cut', (want) => window.__pub.acks.length >= want, n + 5);
      proxy.restore();
      await until(rx, `every room recovered after cut ${round}`, ([names, want]) =>
        names.every((r) => window.__rt.log.rooms[r].recovered.length === want), [rooms, round]);
      await waitState(rx, 'connected');
    }
    await tx.evaluate(() => clearInterval(window.__pub.timer));
    await until(tx, 'every publish answered', () => window.__pub.acks.length + window.__pub.errors.length === window.__pub.sent);
    const pub = await tx.evaluate(() => window.__pub);
    assert.deepEqual(pub.errors, [], 'every publish acked');
    await until(rx, 'every published message', (want) => want.every(({ room, id }) =>
      window.__rt.log.rooms[room].messages.some((m) => m.id === id)), pub.acks);

    const got = await log(rx);
    for (const r of rooms) {
      const want = pub.acks.filter((a) => a.room === r);
      assert.deepEqual(got.rooms[r].messages.map((m) => `${m.id} ${m.text}`), want.map((a) => `${a.id} ${a.text}`),
        `${r}: every id once, in publish order`);
      assert.equal(got.rooms[r].recovered.length, 10);
      assert.ok(got.rooms[r].recovered.every((x) => x.complete), `${r}: ${JSON.stringify(got.rooms[r].recovered)}`);
      assert.equal(got.rooms[r].joined, 11, `${r}: joined, and again after each cut`);
    }
    const missed = rooms.flatMap((r) => got.rooms[r].recovered).reduce((sum, x) => sum + x.count, 0);
    assert.ok(missed >= 50, `${missed} messages recovered, at least the 5 published during each cut`);
    assert.equal(opened(rx).length, 11, 'one socket, and one more after each cut');
    for (const s of opened(rx).slice(1)) {
      const joins = s.sent.filter((f) => f.type === 'room.join');
      assert.deepEqual(joins.map((f) => f.room), rooms, 'each room joined again once');
      assert.ok(joins.every((f) => /^[0-9a-f]{28}$/.test(f.since)), 'each from its position');
    }
    assert.deepEqual(frames(rx, 'received', 'system.error'), [], 'nothing refused, nothing rate limited');
    assert.deepEqual(got.errors, []);
    const states = got.states.map((s) => s.state);
    assert.deepEqual(states, ['connecting', 'connected', ...Array(10).fill(['connecting', 'connected']).flat()]);
    assert.ok(got.states.filter((s) => s.state === 'connecting').slice(1).every((s) => s.code === 1006),
      'each drop seen as 1006 and retried');
    await closeAll(rx, tx);
  });

  test('presence stays right across cuts; a room with nothing seen recovers complete:false', { timeout: 60_000 }, async () => {
    const ana = await clientPage(cut, 'ana', { options: { minDelay: 100, maxDelay: 1000 } });
    await join(ana, ['pres', 'pres-quiet']);
    await waitUsers(ana, 'pres', ['ana']);
    const ben = await clientPage(site, 'ben');
    await join(ben, ['pres']);
    await waitUsers(ana, 'pres', ['ana', 'ben']); // a live join

    // ben leaves while ana is cut off: the re-list after the reconnect shows it.
    proxy.cut();
    await waitState(ana, 'connecting');
    await waitUsers(ben, 'pres', ['ben']); // ana's socket is gone from the room
    await ben.evaluate(() => window.__rt.room('pres').leave());
    proxy.restore();
    await waitState(ana, 'connected');
    await waitUsers(ana, 'pres', ['ana']);

    // ben comes back while ana is cut off again.
    proxy.cut();
    await waitState(ana, 'connecting');
    await join(ben, ['pres']);
    await waitUsers(ben, 'pres', ['ben']);
    proxy.restore();
    await waitUsers(ana, 'pres', ['ana', 'ben']);

    await until(ana, 'both rooms recovered twice', () =>
      ['pres', 'pres-quiet'].every((r) => window.__rt.log.rooms[r].recovered.length === 2));

    // A live leave, by a whole client going away.
    await ben.evaluate(() => window.__rt.client.disconnect());
    await waitUsers(ana, 'pres', ['ana']);

    const l = await log(ana);
    assert.deepEqual(l.rooms['pres-quiet'].recovered, [{ count: 0, complete: false }, { count: 0, complete: false }],
      'no position to resume from: each reconnect says so');
    assert.deepEqual(l.rooms.pres.recovered, [{ count: 0, complete: false }, { count: 0, complete: false }]);
    assert.deepEqual(l.rooms.pres.presence.at(-1), ['ana']);
    assert.equal(opened(ana).length, 3);
    for (const s of opened(ana)) {
      const listed = new Set(s.sent.filter((f) => f.type === 'presence.list').map((f) => f.room));
      assert.deepEqual([...listed].sort(), ['pres', 'pres-quiet'], 'each room listed after each (re)join');
    }
    await closeAll(ana, ben);
  });

  test('a token about to expire is refreshed before exp: the socket stays open, never 4001', { timeout: 60_000 }, async () => {
    const tim = await clientPage(cut, 'tim', { ttl: 6 });
    await join(tim, ['refresh']);
    // Each token lives 5 to 6 s; two refreshes take about 8 s.
    await eventually('two refreshes confirmed', () => frames(tim, 'received', 'auth.refreshed').length >= 2, 30_000);
    // Well past the first token's exp, on the same socket, it still works.
    const ack = await publish(tim, 'refresh', 'still here');
    assert.match(ack.value.id, /^[0-9a-f]{28}$/);
    assert.equal(tim.sockets.length, 1, 'one socket all along');
    const l = await log(tim);
    assert.deepEqual(l.states.map((s) => s.state), ['connecting', 'connected']);
    assert.deepEqual(l.errors, []);
    const sent = frames(tim, 'sent', 'auth.refresh');
    assert.equal(sent.length, tim.tokens - 1, 'every token after the first was sent as a refresh');
    assert.ok(sent.every((f) => f.token.split('.').length === 3 && f.ref));
    await closeAll(tim);
  });

  test('a socket gone silent without a close is replaced after maxSilence, and the rooms recover', { timeout: 60_000 }, async () => {
    // The server pings every second here; 3 s of silence means the path is gone.
    const sam = await clientPage(cut, 'sam', { options: { maxSilence: 3000, minDelay: 100, maxDelay: 500 } });
    await join(sam, ['silent']);
    proxy.freeze(); // no close reaches the page: only the watchdog can tell
    await until(sam, 'a reconnect after the silence', () =>
      window.__rt.log.states.some((s) => s.state === 'connecting' && /no frame from the server/.test(s.reason)));
    await waitState(sam, 'connected');
    await until(sam, 'silent joined again', () => window.__rt.log.rooms.silent.joined >= 2);
    const ack = await publish(sam, 'silent', 'after the silence');
    assert.match(ack.value.id, /^[0-9a-f]{28}$/);
    assert.equal(opened(sam).length, 2, 'the frozen socket and its replacement');
    await closeAll(sam);
  });

  test('publish resolves with the ack; queued while cut and sent after; refusals carry their code', { timeout: 60_000 }, async () => {
    const pia = await clientPage(cut, 'pia', { options: { minDelay: 100, maxDelay: 1000, publishQueue: 3 } });
    const quin = await clientPage(site, 'quin');
    await join(pia, ['pub']);
    await join(quin, ['pub']);
    await waitUsers(pia, 'pub', ['pia', 'quin']);

    const first = await publish(pia, 'pub', 'first');
    await until(quin, 'first delivered', (id) => window.__rt.log.rooms.pub.messages.some((m) => m.id === id), first.value.id);
    await until(pia, 'its own delivery', (id) => window.__rt.log.rooms.pub.messages.some((m) => m.id === id), first.value.id);
    const data = await publish(pia, 'pub', { text: 'with data', data: { n: 1, list: [true, null] } });
    await until(quin, 'data delivered', (id) => window.__rt.log.rooms.pub.messages.some((m) => m.id === id), data.value.id);
    const seen = (await log(quin)).rooms.pub.messages.find((m) => m.id === data.value.id);
    assert.deepEqual({ ...seen, ts: typeof seen.ts }, { room: 'pub', id: data.value.id, user: 'pia', ts: 'number', text: 'with data', data: { n: 1, list: [true, null] } });

    const long = await publish(pia, 'pub', 'x'.repeat(4097));
    assert.deepEqual(long.error, { name: 'RtError', code: 'text_too_long', isRtError: true });
    const notJoined = await publish(pia, 'elsewhere', 'hi');
    assert.equal(notJoined.error.code, 'not_joined');

    // Cut off: three publishes wait (publishQueue 3), a fourth is refused at once.
    proxy.cut();
    await waitState(pia, 'connecting');
    await pia.evaluate(() => {
      const room = window.__rt.room('pub');
      window.__queued = ['q1', 'q2', 'q3'].map((t) => window.__rt.settle(room.publish(t)));
    });
    const full = await publish(pia, 'pub', 'q4');
    assert.equal(full.error.code, 'queue_full');
    assert.equal(await pia.evaluate(() => window.__rt.room('pub').signal({ typing: true })), false, 'a signal is dropped while cut');
    proxy.restore();
    const queued = await pia.evaluate(() => Promise.all(window.__queued));
    assert.ok(queued.every((q) => /^[0-9a-f]{28}$/.test(q.value?.id)), JSON.stringify(queued));
    await until(quin, 'the queued messages, in order', (want) =>
      JSON.stringify(window.__rt.log.rooms.pub.messages.slice(-3).map((m) => `${m.id} ${m.text}`)) === JSON.stringify(want),
    queued.map((q, i) => `${q.value.id} q${i + 1}`));
    assert.deepEqual(frames(quin, 'received', 'chat.delivery').map((f) => f.text), ['first', 'with data', 'q1', 'q2', 'q3'],
      'nothing twice, nothing refused');

    // Signals and history on the restored socket.
    assert.equal(await pia.evaluate(() => window.__rt.room('pub').signal({ typing: true })), true);
    await until(quin, 'the signal', () => window.__rt.log.rooms.pub.signals.length === 1);
    const sig = (await log(quin)).rooms.pub.signals[0];
    assert.deepEqual({ ...sig, ts: typeof sig.ts }, { room: 'pub', user: 'pia', data: { typing: true }, ts: 'number' });
    const page = await pia.evaluate(() => window.__rt.room('pub').history({ limit: 2 }));
    assert.deepEqual(page.messages.map((m) => m.text), ['q2', 'q3']);
    assert.equal(page.more, true);
    const older = await pia.evaluate((before) => window.__rt.room('pub').history({ before }), page.messages[0].id);
    assert.deepEqual(older.messages.map((m) => m.text), ['first', 'with data', 'q1']);
    assert.equal(older.more, false);
    await closeAll(pia, quin);
  });

  test('getToken: a passing failure is retried; no token at the start, or after 4001, stops for good', { timeout: 60_000 }, async () => {
    // The token service fails once, then answers.
    const una = await clientPage(cut, 'una', { tokens: (n) => (n === 1 ? FAIL : token('una')), options: { minDelay: 10, maxDelay: 50 } });
    await waitState(una, 'connected');
    let l = await log(una);
    assert.deepEqual(l.errors.map((e) => e.message), ['the token service is down']);
    assert.deepEqual(l.states.map((s) => s.state), ['connecting', 'connected']);

    // No token at all: null stops at once, code 0.
    const nat = await clientPage(cut, 'nat', { tokens: () => null });
    await waitState(nat, 'disconnected');
    l = await log(nat);
    assert.deepEqual(l.states, [{ state: 'connecting', code: 0, reason: '' }, { state: 'disconnected', code: 0, reason: 'unauthorized' }]);
    assert.equal(nat.sockets.length, 0);

    // A token that expires in 3 s and no other: the refresh fails (an error
    // event), the server closes with 4001 at exp, getToken fails again, and
    // the client stops with 4001, nothing scheduled.
    const odo = await clientPage(cut, 'odo', { tokens: (n) => (n === 1 ? token('odo', 3) : UNAUTHORIZED), options: { minDelay: 10, maxDelay: 50 } });
    await join(odo, ['expiring']);
    await waitState(odo, 'disconnected', 4001);
    l = await log(odo);
    assert.deepEqual(l.states.map((s) => `${s.state}:${s.code}:${s.reason}`),
      ['connecting:0:', 'connected:0:', 'connecting:4001:token expired', 'disconnected:4001:unauthorized']);
    assert.deepEqual(l.errors.map((e) => e.name), ['UnauthorizedError'], 'the refresh found no token');
    assert.equal(odo.tokens, 3, 'at connect, before exp, after the 4001');
    assert.deepEqual(await odo.evaluate(() => [...window.__timers.values()]), []);
    assert.equal(odo.sockets.length, 1);

    // getToken keeps answering the same 3 s token: no refresh is sent (it
    // would be rescheduled before the same exp, over and over), and after
    // the 4001 that same expired token stops the client.
    const same = token('pat', 3);
    const pat = await clientPage(cut, 'pat', { tokens: () => same, options: { minDelay: 10, maxDelay: 50 } });
    await join(pat, ['expiring']);
    await waitState(pat, 'disconnected', 4001);
    l = await log(pat);
    assert.deepEqual(l.states.map((s) => `${s.state}:${s.code}:${s.reason}`),
      ['connecting:0:', 'connected:0:', 'connecting:4001:token expired', 'disconnected:4001:unauthorized']);
    assert.deepEqual(frames(pat, 'sent', 'auth.refresh'), [], 'no refresh with a token that is not newer');
    assert.equal(pat.sockets.length, 1);
    assert.deepEqual(await pat.evaluate(() => [...window.__timers.values()]), []);
    await closeAll(una, nat, odo, pat);
  });

  test('a rejoin refused bad_since joins afresh and reports complete:false', { timeout: 30_000 }, async () => {
    const rex = await clientPage(cut, 'rex', { options: { minDelay: 10, maxDelay: 50 } });
    await join(rex, ['garbled']);
    await rex.evaluate(() => { window.__rt.room('garbled').position = 'not-an-id'; });
    proxy.cut();
    await waitState(rex, 'connecting');
    proxy.restore();
    await until(rex, 'joined afresh', () => window.__rt.log.rooms.garbled.joined >= 2);
    const l = await log(rex);
    assert.deepEqual(l.rooms.garbled.recovered, [{ count: 0, complete: false }]);
    assert.deepEqual(l.rooms.garbled.left, [], 'the room was not dropped');
    const joins = frames(rex, 'sent', 'room.join').map((f) => f.since ?? null);
    assert.deepEqual(joins, [null, 'not-an-id', null]);
    await closeAll(rex);
  });

  test('a join the server drops for its rate limit (answered without its ref) is sent again', { timeout: 60_000 }, async () => {
    // A server allowing 2 frames a second: most of a burst of joins is
    // dropped, answered rate_limited without a ref.
    const srv = await startServer({ env: { RATE_LIMIT: '2', RATE_BURST: '2', RATE_WARNINGS: '1000' }, logName: 'server-ratelimit.log' });
    const tight = await clientPage(`http://localhost:${srv.port}`, 'tia', { options: { ackTimeout: 1000 } });
    const names = ['tight-1', 'tight-2', 'tight-3', 'tight-4', 'tight-5'];
    await join(tight, names); // resolves only once every room is joined
    const sent = frames(tight, 'sent', 'room.join').length;
    assert.ok(sent > names.length, `joins were sent again: ${sent}`);
    assert.ok(frames(tight, 'received', 'system.error').some((f) => f.code === 'rate_limited' && f.ref === undefined));
    assert.equal(tight.sockets.length, 1);
    await closeAll(tight);
  });

  test('disconnect() called from a connecting listener is final: no reconnect follows', { timeout: 30_000 }, async () => {
    const quin = await clientPage(cut, 'quin', { options: { minDelay: 10, maxDelay: 50 } });
    await join(quin, ['quits']);
    await quin.evaluate(() => window.__rt.client.on('connecting', ({ code }) => code && window.__rt.client.disconnect()));
    proxy.cut();
    await waitState(quin, 'disconnected');
    proxy.restore();
    const l = await log(quin);
    assert.deepEqual(l.states.map((s) => `${s.state}:${s.code}`), ['connecting:0', 'connected:0', 'connecting:1006', 'disconnected:1000']);
    assert.deepEqual(await quin.evaluate(() => [...window.__timers.values()]), [], 'no retry scheduled');
    assert.equal(quin.sockets.length, 1);
    await closeAll(quin);
  });

  test('join refusals reject with their code; leave ends the room; a room named twice is one object', { timeout: 60_000 }, async () => {
    const kit = await clientPage(cut, 'kit', { tokens: () => tokenWith('kit', { rooms: ['open-*'] }) });
    const lex = await clientPage(site, 'lex');
    await join(kit, ['open-1', 'open-2']);
    await join(lex, ['open-1', 'open-2']);
    const refused = await kit.evaluate(() => Promise.all(['closed', 'bad room!'].map((n) => window.__rt.settle(window.__rt.room(n).join()))));
    assert.deepEqual(refused.map((r) => r.error.code), ['room_forbidden', 'bad_room']);
    assert.equal((await publish(kit, 'closed', 'hi')).error.code, 'not_joined', 'a refused room is not wanted');
    assert.equal(await kit.evaluate(() => window.__rt.client.room('open-1') === window.__rt.client.room('open-1')), true);

    await waitUsers(lex, 'open-1', ['kit', 'lex']);
    await kit.evaluate(() => window.__rt.room('open-1').leave());
    await waitUsers(lex, 'open-1', ['lex']);
    assert.deepEqual(await kit.evaluate(() => window.__rt.room('open-1').users), [], 'no users in a room left');
    assert.equal((await publish(kit, 'open-1', 'hi')).error.code, 'not_joined');
    await publish(lex, 'open-1', 'after kit left');
    const last = await publish(lex, 'open-2', 'in the other room');
    await until(kit, 'the other room\'s message', (id) => window.__rt.log.rooms['open-2'].messages.some((m) => m.id === id), last.value.id);
    const sock = opened(kit)[0];
    const left = sock.received.findIndex((f) => f.type === 'room.left');
    assert.deepEqual(sock.received[left], { type: 'room.left', room: 'open-1', reason: 'left', ref: sock.sent.find((f) => f.type === 'room.leave').ref });
    assert.ok(!sock.received.slice(left + 1).some((f) => f.room === 'open-1'), 'nothing of open-1 after room.left');
    assert.deepEqual((await log(kit)).errors, [], 'no stray error');
    await closeAll(kit, lex);
  });

  test('100 rooms join, and rejoin after a cut, paced under the rate limit: nothing refused', { timeout: 90_000 }, async () => {
    const names = Array.from({ length: 100 }, (_, i) => `h-${i}`);
    const hal = await clientPage(cut, 'hal', { options: { minDelay: 100, maxDelay: 1000 } });
    await join(hal, names);
    for (const n of names.slice(0, 10)) await publish(hal, n, `in ${n}`);
    await until(hal, 'its own messages', (ns) => ns.every((n) => window.__rt.log.rooms[n].messages.length === 1), names.slice(0, 10));
    proxy.cut();
    await waitState(hal, 'connecting');
    proxy.restore();
    await until(hal, 'every room recovered', (ns) => ns.every((n) => window.__rt.log.rooms[n].recovered.length === 1), names, 30_000);
    const l = await log(hal);
    assert.ok(names.every((n) => l.rooms[n].joined === 2));
    assert.ok(names.slice(0, 10).every((n) => l.rooms[n].recovered[0].complete === true), 'rooms with a position resume');
    assert.ok(names.slice(10).every((n) => l.rooms[n].recovered[0].complete === false), 'rooms without one cannot');
    assert.deepEqual(frames(hal, 'received', 'system.error'), [], 'nothing refused, nothing rate limited');
    assert.deepEqual(l.errors, []);
    assert.equal(opened(hal).length, 2);
    await closeAll(hal);
  });

  test('the served client: /client-<version>.js imports, also from another origin (CORS)', { timeout: 30_000 }, async () => {
    const version = createHash('sha256').update(await readFile(path.join(root, 'clients/js/rt.js')))
      .digest('hex').slice(0, 12);
    const res = await fetch(`${site}/client.js`);
    assert.equal(res.headers.get('etag'), `"${version}"`);
    const vic = await clientPage(cut, 'vic', { module: `/client-${version}.js` });
    await waitState(vic, 'connected');
    // The proxy's origin is not the server's: a cross-origin module import.
    const other = await vic.evaluate(async (url) => {
      const m = await import(url);
      return Object.keys(m).sort();
    }, `${site}/client-${version}.js`);
    assert.deepEqual(other, ['Client', 'Room', 'RtError', 'UnauthorizedError']);
    const stale = await vic.evaluate(() => fetch('/client-000000000000.js').then((r) => r.status));
    assert.equal(stale, 404);
    await closeAll(vic);
  });

  test('in Node, with its own WebSocket and an origin option, it connects, publishes, reads history and ends cleanly', { timeout: 30_000 }, async () => {
    const script = `
      const { Client } = await import(process.env.RT_JS);
      const client = new Client({ url: process.env.RT_URL, origin: process.env.RT_ORIGIN, getToken: () => process.env.RT_TOKEN });
      const room = client.room('node');
      client.connect();
      await room.join();
      const ack = await room.publish('from node');
      const page = await room.history({ limit: 1 });
      client.disconnect();
      console.log(JSON.stringify({ ack, texts: page.messages.map((m) => m.text), state: client.state }));`;
    // Node 22 has a WebSocket of its own; Node 20 needs the flag.
    const flags = typeof WebSocket === 'undefined' ? ['--experimental-websocket'] : [];
    const { stdout } = await promisify(execFile)(process.execPath, [...flags, '--input-type=module', '-e', script], {
      timeout: 20_000, // the process ends by itself only if nothing is left scheduled
      env: {
        ...process.env,
        RT_JS: pathToFileURL(path.join(root, 'clients/js/rt.js')).href,
        RT_URL: `ws://127.0.0.1:${server.port}`,
        RT_ORIGIN: site,
        RT_TOKEN: token('noah'),
      },
    });
    const out = JSON.parse(stdout);
    assert.match(out.ack.id, /^[0-9a-f]{28}$/);
    assert.deepEqual(out.texts, ['from node']);
    assert.equal(out.state, 'disconnected');
  });

  describe('with the server API', () => {
    let apiServer;
    let apiSite;

    before(async () => {
      apiServer = await startAPIServer({ logName: 'server-client-api.log' });
      apiSite = `http://localhost:${apiServer.port}`;
    });

    test('a personal message arrives; a disconnect from one room leaves it; a disconnect of the user stops for good (4003)', { timeout: 60_000 }, async () => {
      // Any reconnect would come within 20 ms: minDelay and maxDelay say so.
      const dan = await clientPage(apiSite, 'dan', { options: { minDelay: 10, maxDelay: 20 } });
      const eve = await clientPage(apiSite, 'eve');
      await join(dan, ['api-a', 'api-b']);
      await join(eve, ['api-a']);
      await waitUsers(dan, 'api-a', ['dan', 'eve']);

      const sent = await apiServer.api('POST', '/api/users/dan/messages', { text: 'hello dan', data: { k: 1 } });
      assert.equal(sent.status, 202);
      await until(dan, 'the personal message', () => window.__rt.log.userMessages.length === 1);
      const um = (await log(dan)).userMessages[0];
      assert.deepEqual(um, { user: 'dan', id: sent.body.id, ts: sent.body.ts, text: 'hello dan', data: { k: 1 } });

      // Taken out of one room: a left event, not rejoined; the other room stays.
      const fromRoom = await apiServer.api('POST', '/api/users/dan/disconnect', { room: 'api-b', reason: 'not here' });
      assert.equal(fromRoom.status, 202);
      await until(dan, 'api-b left', () => window.__rt.log.rooms['api-b'].left.length === 1);
      assert.deepEqual((await log(dan)).rooms['api-b'].left, [{ reason: 'disconnected' }]);
      const gone = await publish(dan, 'api-b', 'still?');
      assert.equal(gone.error.code, 'not_joined');
      assert.equal(dan.sockets.length, 1, 'the same socket');

      // The whole user: 4003 with the backend's reason, and no reconnect.
      const all = await apiServer.api('POST', '/api/users/dan/disconnect', { reason: 'moderated' });
      assert.equal(all.status, 202);
      await waitState(dan, 'disconnected', 4003);
      assert.equal(await dan.evaluate(() => window.__rt.client.reason), 'moderated');
      // Nothing is scheduled that could reconnect: no timer of the library is pending.
      assert.deepEqual(await dan.evaluate(() => [...window.__timers.values()]), []);
      // eve, still connected, sees dan go, and makes a round trip; by then
      // a reconnect (within 20 ms) would long have opened a socket.
      await waitUsers(eve, 'api-a', ['eve']);
      const ack = await publish(eve, 'api-a', 'dan is gone');
      assert.ok(ack.value.id);
      const l = await log(dan);
      assert.deepEqual(l.states.map((s) => `${s.state}:${s.code}`), ['connecting:0', 'connected:0', 'disconnected:4003']);
      assert.equal(dan.sockets.length, 1, 'no socket after the 4003');
      assert.equal(await dan.evaluate(() => window.__rt.client.state), 'disconnected');
      await closeAll(dan, eve);
    });
  });
});
