// Driving the chat page: a page per user in its own browser context, that
// records its states and socket frames, and waits that say what the page
// showed when they time out.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { artifacts, root, shared, sleep, token, WAIT } from './harness.mjs';

// newPage opens the chat page in a fresh browser context (its own storage and
// cookies: another user) and records every state the page goes through, and
// every frame its sockets send and receive (page.sent, page.received).
export async function newPage(origin, viewport = { width: 1280, height: 800 }) {
  const context = await shared.browser.newContext({ viewport });
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

export async function connect(page, user, room, ttl) {
  await page.fill('#room', room);
  await page.fill('#token', token(user, ttl));
  await page.click('#connect');
}

// describePage is what a failed wait reports: state, detail and the messages.
export function describePage(page) {
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

export async function until(page, what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT, polling: 50 });
  } catch (e) {
    throw new Error(`${what}: not within ${WAIT} ms; ${await describePage(page)}`, { cause: e });
  }
}

export const waitState = (page, state) => until(page, `state ${state}`,
  (want) => document.getElementById('state').dataset.state === want, state);

export const waitPresence = (page, users) => until(page, `presence [${users}]`,
  (want) => JSON.stringify([...document.querySelectorAll('#presence li')].map((li) => li.textContent)) ===
    JSON.stringify(want), users);

export const waitMessage = (page, user, text) => until(page, `message from ${user}: ${text}`,
  ([u, t]) => [...document.querySelectorAll('#messages li.msg')].some((li) =>
    li.querySelector('.user')?.textContent === u && li.querySelector('.text')?.textContent === t), [user, text]);

export const waitLine = (page, text) => until(page, `a line containing "${text}"`,
  (want) => [...document.querySelectorAll('#messages li.sys')].some((li) => li.textContent.includes(want)), text);

export async function say(page, text, how = 'enter') {
  await page.fill('#text', text);
  if (how === 'enter') await page.press('#text', 'Enter');
  else await page.click('#send-button');
}

// chats lists a page's chat lines in the order shown: user, text and id.
export const chats = (page) => page.evaluate(() => [...document.querySelectorAll('#messages li.msg')].map((li) => ({
  user: li.querySelector('.user')?.textContent, text: li.querySelector('.text')?.textContent, id: li.dataset.id,
})));

export const texts = async (page) => (await chats(page)).map((c) => c.text);

// waitTexts waits until the page's chat lines are exactly want, in order.
export const waitTexts = (page, want) => until(page, `chat lines ${JSON.stringify(want)}`,
  (w) => JSON.stringify([...document.querySelectorAll('#messages li.msg .text')].map((e) => e.textContent)) ===
    JSON.stringify(w), want);

// onceInOrder asserts that every chat line has an id, no id twice, and that
// they increase down the page (ids compare as strings in publish order).
export async function onceInOrder(page) {
  const ids = (await chats(page)).map((c) => c.id);
  assert.ok(ids.every((id) => typeof id === 'string' && id), `every line has an id: ${ids}`);
  assert.equal(new Set(ids).size, ids.length, `no id twice: ${ids}`);
  assert.deepEqual([...ids].sort(), ids, 'ids increase down the page');
}

// sendAll posts texts to the room shown from a connected page, through the
// page's client (window.rtClient), which paces them under
// RATE_LIMIT/RATE_BURST. A refused one is an unhandled rejection: a page
// error that noProblems reports.
export async function sendAll(page, list) {
  const room = await page.evaluate(() => document.querySelector('#rooms li.current')?.dataset.room);
  assert.ok(room, 'a room is shown');
  await sendTo(page, room, list);
}

// noErrorLines: the server answered no frame of the page with system.error.
export async function noErrorLines(page) {
  const errors = await page.evaluate(() => [...document.querySelectorAll('#messages li.error')].map((li) => li.textContent));
  assert.deepEqual(errors, [], 'the page got system.error');
}

export const range = (from, to, prefix) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix} ${from + i}`);

// consoleClient opens a page of origin and runs in it, as a reader would
// paste it into its console, the client snippet of docs/protocol.md, with
// user's token and room filled in; it leaves window.chat = {client, room}.
// seen(what, re) waits for a console line matching re.
export async function consoleClient(origin, user, room) {
  const md = await readFile(path.join(root, 'docs/protocol.md'), 'utf8');
  const snippet = md.match(/```js\n(\/\/ rt client in a console[\s\S]*?)```/)?.[1];
  assert.ok(snippet, 'docs/protocol.md has the console snippet in a js block');
  assert.ok(snippet.includes('"<JWT>"') && snippet.includes('client.room("test")'), 'the snippet has a token and a room to fill in');
  const code = snippet.replace('"<JWT>"', JSON.stringify(token(user))).replace('client.room("test")', `client.room(${JSON.stringify(room)})`);
  const page = await newPage(origin); // any page of an allowed origin
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  // Like a console, evaluate ignores the page's CSP; a console runs top-level
  // await, which an async function stands in for here.
  await page.evaluate(`(async () => {\n${code}\n})()`);
  const seen = async (what, re) => {
    for (const end = Date.now() + WAIT; Date.now() < end; await sleep(50)) if (logs.some((l) => re.test(l))) return;
    throw new Error(`${what}: not in the console within ${WAIT} ms:\n${logs.join('\n')}`);
  };
  return { page, logs, seen };
}

// ---- rooms ------------------------------------------------------------------

export const roomState = (page, room) => page.evaluate((r) => document.querySelector(`#rooms li[data-room="${r}"]`)?.dataset.state, room);

export const waitRoom = (page, room, state) => until(page, `room ${room} ${state}`,
  ([r, st]) => document.querySelector(`#rooms li[data-room="${r}"]`)?.dataset.state === st, [room, state]);

// roomList is the page's list of rooms, in order: name, state, shown, unread
// badge ('' while it is hidden).
export const roomList = (page) => page.evaluate(() => [...document.querySelectorAll('#rooms li')].map((li) => {
  const badge = li.querySelector('.unread');
  return { name: li.dataset.room, state: li.dataset.state, shown: li.classList.contains('current'),
    unread: badge.hidden ? '' : badge.textContent };
}));

export const waitUnread = (page, room, n) => until(page, `room ${room} unread "${n}"`, ([r, want]) => {
  const badge = document.querySelector(`#rooms li[data-room="${r}"] .unread`);
  return badge && (badge.hidden ? '' : badge.textContent) === want;
}, [room, n]);

// joinRoom joins room with the join form; the room is then shown.
export async function joinRoom(page, room) {
  await page.fill('#room', room);
  await page.click('#join-button');
  await waitRoom(page, room, 'joined');
  await until(page, `${room} shown`, (r) => document.querySelector('#rooms li.current')?.dataset.room === r, room);
}

export async function openRoom(page, room) {
  await page.click(`#rooms li[data-room="${room}"] .open`);
  await until(page, `${room} shown`, (r) => document.getElementById('room-title').textContent === `# ${r}`, room);
}

// sendTo posts texts to room from a connected page, whichever room it shows
// (through the page's client, as sendAll).
export async function sendTo(page, room, list) {
  await page.evaluate(async ([r, l]) => {
    for (const text of l) {
      rtClient.room(r).publish(text);
      await new Promise((done) => setTimeout(done, 30));
    }
  }, [room, list]);
}

// eventually polls fn in the test until it is true.
export async function eventually(what, fn) {
  for (const end = Date.now() + WAIT; Date.now() < end; await sleep(50)) if (fn()) return;
  throw new Error(`${what}: not within ${WAIT} ms`);
}

export const delivered = (page, room) => page.received.filter((f) => f.type === 'chat.delivery' && f.room === room);

// usable checks, at the page's current size, that nothing scrolls sideways,
// that each selector's element is on screen, whole, and on top where its
// middle is (not under another element), that the status line runs across
// the page and its state stays on one line.
export async function usable(page, selectors) {
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
export const joinsOf = (page, room) => page.sent.filter((f) => f.type === 'room.join' && f.room === room);

export const states = (page) => page.evaluate(() => window.__states);
export const shot = (page, name) => page.screenshot({ path: path.join(artifacts, name), fullPage: true });

export function noProblems(page) {
  assert.deepEqual(page.problems, [], 'the page logged errors');
}
