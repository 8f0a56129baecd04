// The chat page in several rooms on one socket (protocol 2): joining,
// unread counts, switching, typing signals, leaving, recovery per room
// after a cut; and the layout at 390, 768, 1000 and 1280 px, each with a
// screenshot in artifacts/ (12-layout-*.png, 13-refused-*.png).
//
//   npm ci --prefix e2e/browser && node --test e2e/browser/*.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, sleep, T, tearDown, token } from './harness.mjs';
import {
  connect, delivered, eventually, joinRoom, joinsOf, newPage, noErrorLines, noProblems, onceInOrder, openRoom,
  roomList, say, sendTo, shot, texts, until, usable, waitLine, waitMessage, waitPresence, waitRoom, waitState,
  waitTexts, waitUnread,
} from './pages.mjs';

describe('chat page with many rooms in a real browser', { timeout: 300_000 }, () => {
  let server;
  let site;
  let proxy;

  before(async () => {
    ({ server, site, proxy } = await setUp('server-rooms.log'));
  });

  after(tearDown);

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

  test('q. a page in 25 rooms joins them all at once, and again after a cut, within the rate limit', T, async () => {
    const names = Array.from({ length: 25 }, (_, i) => `many-${i + 1}`);
    // walt is in three of the rooms already: vera's page learns of him from
    // the lists it reads after its joins, which are no news ("walt joined").
    const walt = await newPage(site);
    await walt.evaluate((n) => sessionStorage.setItem('rt.rooms', JSON.stringify(n)), names.slice(0, 3));
    await walt.reload();
    await walt.fill('#token', token('walt'));
    await walt.click('#connect');
    for (const n of names.slice(0, 3)) await waitRoom(walt, n, 'joined');
    const vera = await newPage(`http://localhost:${proxy.port}`); // through the cuttable path
    await vera.evaluate((n) => sessionStorage.setItem('rt.rooms', JSON.stringify(n)), names);
    await vera.reload(); // the rooms of an earlier visit, offered again
    await vera.fill('#token', token('vera'));
    await vera.click('#connect');
    for (const n of names) await waitRoom(vera, n, 'joined');
    // A join per room, and the client asks who is in each room it joins;
    // the last messages are asked for the room on screen only, the others
    // once they are shown.
    await eventually('the shown room\'s history', () => vera.received.some((f) => f.type === 'history.page'));
    const count = (type, from = 0) => vera.sent.slice(from).filter((f) => f.type === type).length;
    const listed = (from) => names.every((n) => vera.sent.slice(from).some((f) => f.type === 'presence.list' && f.room === n));
    await eventually('every room listed', () => listed(0));
    const lines = (re) => vera.evaluate((src) => [...document.querySelectorAll('#lists li')]
      .filter((li) => new RegExp(src).test(li.textContent)).length, re);
    await eventually('walt in the lists', async () => (await vera.evaluate(() => rtClient.room('many-1').users)).includes('walt'));
    assert.equal(await lines('walt joined'), 0, 'walt was there already: listed, not announced');
    assert.deepEqual([count('room.join'), count('history.get')], [names.length, 1]);
    for (const n of names) await sendTo(vera, n, [`hello ${n}`]);
    await eventually('every delivery', () => names.every((n) => delivered(vera, n).length === 1));

    proxy.cut();
    await waitState(vera, 'reconnecting');
    const cut = vera.sent.length;
    proxy.restore();
    await waitState(vera, 'connected');
    for (const n of names) await waitRoom(vera, n, 'joined');
    await eventually('every room recovered', () => vera.received.filter((f) => f.type === 'history.recovered').length === names.length);
    const rejoins = vera.sent.filter((f) => f.type === 'room.join').slice(names.length);
    assert.deepEqual(rejoins.map((f) => f.room), names, 'each room joined again once');
    assert.ok(rejoins.every((f) => f.since === delivered(vera, f.room)[0].id), 'each from its own last id');
    assert.deepEqual(vera.received.filter((f) => f.type === 'system.error'), [], 'nothing refused, nothing rate limited');
    // One socket for all the rooms; the client's first retry (within
    // 500 ms) may come before the restore, and fail.
    assert.ok(vera.sockets >= 2 && vera.sockets <= 4, `${vera.sockets} sockets`);
    assert.equal((await roomList(vera)).find((r) => r.name === 'many-25').unread, '', 'her own message is not unread');
    await walt.context().close(); // a live leave is news in each of his rooms
    await eventually('walt left, said in his three rooms', async () => (await lines('walt left')) === 3);
    await openRoom(vera, 'many-25'); // its last messages now
    await waitPresence(vera, ['vera']);
    await waitTexts(vera, ['hello many-25']);
    await eventually('every room listed again after the cut', () => listed(cut));
    await eventually('many-25\'s history asked for', () => count('history.get') === 2);
    await sleep(300);
    assert.equal(count('history.get'), 2, 'history for many-1, then many-25 once shown, and no more');
    await noErrorLines(vera);
    noProblems(vera);
    await vera.context().close();
  });
});
