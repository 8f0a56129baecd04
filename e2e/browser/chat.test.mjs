// The chat page in a real browser, one room per page as a user starts:
// connecting, chatting, presence, refusals and closes the page explains,
// recovery after a cut, and the server API's disconnects. rooms.test.mjs
// has the pages in several rooms and the layout at phone and desktop sizes.
//
//   npm ci --prefix e2e/browser && node --test e2e/browser/*.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { freePort, IDLE_TIMEOUT, setUp, sleep, startProxy, startServer, stopServer, T, tearDown } from './harness.mjs';
import {
  chats, connect, consoleClient, describePage, joinRoom, joinsOf, newPage, noErrorLines, noProblems, onceInOrder,
  range, roomState, say, sendAll, shot, states, texts, waitLine, waitMessage, waitPresence, waitRoom, waitState,
  waitTexts,
} from './pages.mjs';

describe('chat page in a real browser', { timeout: 300_000 }, () => {
  let server; // the main server: {proc, port, exited}
  let site; // http://localhost:<port>, the allowed origin
  let proxy; // a cuttable path to the same server, its origin allowed too
  let alice;
  let bob;
  let bobQuiet; // when bob's page last sent a frame of its own

  before(async () => {
    ({ server, site, proxy } = await setUp());
  });

  after(tearDown);

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
    await seen('connected', /\[rt\] connected/);

    const erin = await newPage(site);
    await connect(erin, 'erin', 'docs');
    await waitPresence(erin, ['dave', 'erin']);
    await seen('presence with erin', /\[rt\] present: .*erin/);
    await say(erin, 'hello console');
    await seen('the delivery', /\[rt\] .*erin: hello console/);
    assert.match(await page.evaluate('window.chat.room.publish("hello page").then((a) => a.id)'), /^[0-9a-f]{28}$/);
    await waitMessage(erin, 'dave', 'hello page');

    // Silent apart from its pongs for longer than IDLE_TIMEOUT: still the same socket.
    await sleep(IDLE_TIMEOUT * 1000 + 500);
    assert.doesNotMatch(dave(), /\[rt\] connecting 4000/, 'the client answered every system.ping');
    assert.deepEqual(await page.evaluate('window.chat.room.users'), ['dave', 'erin']);
    await page.evaluate('window.chat.client.disconnect()');
    await waitPresence(erin, ['erin']);
    await sleep(1000);
    assert.equal(logs.filter((l) => l.startsWith('[rt] connecting')).length, 1, `no reconnect after disconnect():\n${dave()}`);
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
    await judge.seen('connected', /\[rt\] connected/);
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
    await judge.page.evaluate('window.chat.client.disconnect()');
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

  test('l. a reconnect refused for its since (an id of an older server version) joins afresh and reloads the room', T, async () => {
    const leo = await newPage(`http://localhost:${proxy.port}`);
    await connect(leo, 'leo', 'upgrade');
    await waitState(leo, 'connected');
    await say(leo, 'kept');
    await waitMessage(leo, 'leo', 'kept');
    const ulid = '01M8AMZA8ZHNCE35NJB15EPSDF'; // what ids looked like before history: bad_since now
    await leo.evaluate((id) => { rtClient.room('upgrade').position = id; }, ulid); // the page's client's state

    proxy.cut();
    await waitState(leo, 'reconnecting');
    proxy.restore();
    await waitLine(leo, 'some messages could not be recovered');
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
    await docs.seen('connected', /\[rt\] connected/);
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
    await docs.seen('the close, final', /\[rt\] disconnected 4003 spamming the room/);
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
});
