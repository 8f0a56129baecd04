// The rt chat page's connection. rt's client library (/client.js, the
// same file any application loads) keeps the socket: it connects to
// /ws?token=, joins the rooms on it, answers pings, reconnects with backoff
// and rejoins each room from the last message seen there, drops what comes
// twice, folds presence, paces what it sends and matches acks. This file
// turns its events into the page (rooms.js draws it) and adds what only a
// page can do: explain a handshake the browser will not explain.
import { Client, UnauthorizedError } from '/client.js';
import {
  addRoom, chat, clearLines, drawer, dropRoom, hooks, joinedUsers, notice, nowhere, preview, remember, restore, ROOM_RE,
  rooms, setMe, setOnline, setRoomState, setUsers, show, shown, renderShown, system, typing, ui,
} from './rooms.js';

const HISTORY_LIMIT = 50; // messages shown when a room opens
const TYPING_EVERY_MS = 2000; // at most one typing signal per room this often
const RETRY_UNAVAILABLE_MS = 2000;
const ROOM_RULE = 'a room name is 1 to 64 letters, digits or . _ : - and starts with a letter or digit';
const HANDSHAKE_REFUSED = 'the server refused the handshake: token missing, invalid or expired, ' +
  'or too many connections';
// With a connect hook the application's backend may have said no too.
const HOOK_REFUSED = 'the server refused the handshake: token missing, invalid or expired, ' +
  'too many connections, or refused by the application (its connect hook)';

let token = '';        // the token of the last Connect
let me = '';           // its sub, for display only
let final = null;      // {state, why}: why the page stopped the client, shown once it has
let tried = false;     // a socket was tried and has not opened (yet)
let refusals = 0;      // handshakes refused in a row with the origin accepted

const client = new Client({ getToken });
window.rtClient = client; // the page's client, for the console

// ---- state -------------------------------------------------------------------

function setState(state, label, detail) {
  ui.state.dataset.state = state;
  ui.state.textContent = label || state;
  ui.detail.textContent = detail || '';
  const busy = state === 'connecting' || state === 'connected' || state === 'reconnecting';
  ui.connect.disabled = state === 'connecting' || state === 'connected';
  ui.disconnect.disabled = !busy;
  ui.token.disabled = busy;
  setOnline(state === 'connected');
  renderShown();
}

// ---- the client --------------------------------------------------------------

// getToken hands the client the pasted token before every socket. The page
// has no other one, so it refuses a refresh (the server closes with 4001
// at exp). When the last socket closed before opening, it first asks the
// server about this page's origin, and the answer may stop the client.
async function getToken() {
  if (client.state === 'connected') throw new UnauthorizedError('no newer token');
  if (tried) {
    const stop = await diagnose();
    if (stop) {
      final = stop;
      throw new UnauthorizedError(stop.why);
    }
  }
  tried = true;
  return token;
}

client.on('connecting', ({ code, reason }) => {
  offline();
  if (!code) { // the first attempt
    setState('connecting', '', `to ${location.host}`);
  } else if (code === 4001) { // no other token to try
    stopSoon('closed', `closed by server: 4001${reason ? ' ' + reason : ''}; get a new token, paste it and press Connect`);
  } else {
    const why = code === 1005 || code === 1006 ? `connection lost (${code})` : `closed by server: ${code}${reason ? ' ' + reason : ''}`;
    notice(why);
    setState('reconnecting', '', why);
  }
});

client.on('connected', () => {
  tried = false;
  refusals = 0;
  setState('connected', '', me ? `as ${me}` : '');
  notice(me ? `connected as ${me}` : 'connected');
  // The client joins again every room it was asked to join.
  for (const r of rooms.values()) if (r.state === 'pending' && !r.waiting) setRoomState(r, 'joining');
});

client.on('disconnected', ({ code, reason }) => {
  offline();
  const why = final ? final.why
    : code === 4003 ? `disconnected by the server (4003)${reason ? ': ' + reason : ''}; not reconnecting`
      : code === 1008 ? `closed by server: 1008${reason ? ' ' + reason : ''}; closed for a policy violation, not reconnecting`
        : `stopped (${code}${reason ? ' ' + reason : ''})`;
  const state = final ? final.state : 'closed';
  final = null;
  if (state === 'disconnected') {
    setState('disconnected');
    notice('disconnected');
  } else {
    setState(state, '', why);
    notice(why, 0, 'alert');
  }
});

client.on('message', (m) => { // to this user, whatever the room: shown where the user looks
  system(shown, `personal message: ${typeof m.text === 'string' ? m.text : preview(m.data)}`, m.ts, 'personal');
});

client.on('error', (err) => {
  if (err.name === 'UnauthorizedError') return; // the page's own refusal of a refresh
  system(shown, `error ${err.code || err.name}: ${err.message}`, 0, 'error');
});

// stop ends the connection for the reason why, shown as state.
function stop(state, why) {
  final = { state, why };
  client.disconnect();
}

// stopSoon stops from inside a client event, once the client is done with
// it: the client schedules its reconnect after telling the event.
function stopSoon(state, why) {
  final = { state, why };
  setTimeout(() => client.disconnect());
}

// offline marks every room to be joined again by the client's next socket.
function offline() {
  for (const r of rooms.values()) if (r.state === 'joined' || r.state === 'joining') setRoomState(r, 'pending');
}

// diagnose runs when a socket closed before opening. The browser hides the
// HTTP status of a refused handshake, so ask the server whether it accepts
// this page's origin; if it cannot be reached, keep trying. With the origin
// accepted, the handshake was refused, or the network came back between
// the attempt and the question: so a refusal is believed the second time in
// a row. Resolves to {state, why} to stop, or null to go on.
async function diagnose() {
  setState('connecting', '', 'the socket closed before opening; asking the server why');
  let answer;
  try {
    const res = await fetch('/demo/origin', { method: 'POST', cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    answer = await res.json();
  } catch {
    if (client.state !== 'connecting') return null; // disconnected meanwhile
    notice('server unreachable');
    setState('reconnecting', '', 'server unreachable');
    return null;
  }
  if (client.state !== 'connecting') return null;
  if (!answer.allowed) {
    return { state: 'refused', why: `the server does not accept this page's origin ${answer.origin || '(none)'}: ` +
      'it is not in ALLOWED_ORIGINS; ' + (typeof answer.use === 'string' && answer.use
      ? `open the page at ${answer.use} instead`
      : `add ${answer.origin || "this page's origin"} to ALLOWED_ORIGINS and restart the server`) };
  }
  if (++refusals >= 2) return { state: 'refused', why: answer.connect_hook ? HOOK_REFUSED : HANDSHAKE_REFUSED };
  setState('reconnecting', '', 'the server did not take the connection; trying again');
  return null;
}

// ---- rooms -------------------------------------------------------------------

// track binds page room r to the client's room of that name, once.
function track(r) {
  if (r.lib) return r;
  const room = client.room(r.name);
  r.lib = room;
  r.off = [
    room.on('joined', () => joined(r)),
    room.on('message', (m) => chat(r, m, true)),
    room.on('presence', (users, change) => { if (r.state === 'joined') setUsers(r, users, change); }),
    room.on('signal', (s) => {
      if (s.data && typeof s.data.typing === 'boolean') typing(r, String(s.user), s.data.typing);
    }),
    room.on('recovered', ({ count, complete }) => recovered(r, count, complete)),
    room.on('left', ({ reason }) => left(r, reason)),
  ];
  return r;
}

// forget drops r from the page and its listeners from the client's room.
function forget(r) {
  r.off?.forEach((off) => off());
  dropRoom(r);
}

function join(r) {
  track(r);
  setRoomState(r, client.state === 'connected' ? 'joining' : 'pending');
  r.lib.join().catch((err) => failed(r, err));
}

function joined(r) {
  if (rooms.get(r.name) !== r || r.state === 'leaving') return;
  joinedUsers(r, r.lib.users);
  setRoomState(r, 'joined');
  system(r, `joined ${r.name}`);
  loadShown();
  if (r === shown && !matchMedia('(max-width: 699px)').matches) ui.text.focus();
}

// loadShown shows the last messages of the room on screen, once it is
// joined; later ones come live.
async function loadShown() {
  const r = shown;
  if (r === nowhere || r.state !== 'joined' || r.paged) return;
  r.paged = true;
  try {
    const { messages } = await r.lib.history({ limit: HISTORY_LIMIT });
    messages.forEach((m) => chat(r, m, false));
  } catch (err) {
    r.paged = false;
    if (err.code !== 'disconnected') system(r, `error ${err.code}: ${err.message}`, 0, 'error');
  }
}
hooks.shown = loadShown;

function recovered(r, count, complete) {
  if (complete) {
    system(r, `reconnected, ${count} missed message${count === 1 ? '' : 's'} recovered`);
    return;
  }
  // Rejoined without a message seen, or history no longer holds the last
  // one: show the room as it is now.
  if (count > 0 || r.list.querySelector('li.msg')) system(r, 'some messages could not be recovered', 0, 'warn');
  r.paged = false;
  if (r === shown) loadShown();
}

// left: the server took r away (forbidden, disconnected), or refused to
// join it again after a reconnect (that refusal's code).
function left(r, reason) {
  if (rooms.get(r.name) !== r) return;
  if (retried(r, reason)) return;
  setRoomState(r, 'out');
  if (reason === 'forbidden' || reason === 'disconnected') {
    const why = reason === 'forbidden' ? 'the token no longer allows this room' : 'disconnected by the server';
    system(r, `removed from ${r.name} (${why}); not joining it again`, 0, 'alert');
  } else {
    system(r, `error ${reason}: could not join ${r.name} again`, 0, 'error');
  }
}

// failed shows why a join was refused. Refusals for the connection's sake
// (disconnected) or the user's (left meanwhile) say nothing.
function failed(r, err) {
  if (rooms.get(r.name) !== r || err.code === 'disconnected' || r.state === 'leaving') return;
  if (retried(r, err.code)) return;
  setRoomState(r, 'out');
  system(r, `error ${err.code}: ${err.message}`, 0, 'error');
}

// retried joins r again later after unavailable (the server asks for a
// retry). A rejoin after a reconnect needs none of this: the client retries
// it itself, and joins afresh when the server refuses its since.
function retried(r, code) {
  if (code !== 'unavailable') return false;
  setRoomState(r, 'pending');
  r.waiting = true;
  setTimeout(() => {
    r.waiting = false;
    if (rooms.get(r.name) === r && r.state === 'pending') join(r);
  }, RETRY_UNAVAILABLE_MS);
  return true;
}

async function leave(r) {
  if (r.state !== 'joined' && r.state !== 'joining') {
    r.lib?.leave();
    forget(r);
    return;
  }
  setRoomState(r, 'leaving');
  await r.lib.leave();
  forget(r);
}

// ---- connecting --------------------------------------------------------------

function connect() {
  const name = ui.room.value.trim();
  const pasted = ui.token.value.trim();
  if (name && !ROOM_RE.test(name)) {
    setState('disconnected', '', ROOM_RULE);
    return;
  }
  if (!pasted) {
    setState('disconnected', '', 'paste a token first: go tool task token -- -sub alice');
    return;
  }
  if (name) {
    show(addRoom(name));
    ui.room.value = '';
  } else if (shown === nowhere && rooms.size) {
    show(rooms.values().next().value);
  }
  token = pasted;
  me = subjectOf(token);
  setMe(me);
  remember(token);
  final = null;
  tried = false;
  refusals = 0;
  clearLines(nowhere);
  for (const r of rooms.values()) { // a fresh view: each room's history fills it
    clearLines(r);
    setRoomState(r, 'pending');
  }
  client.connect();
  for (const r of rooms.values()) join(r);
}

function disconnect() {
  stop('disconnected', '');
}

// joinFrom handles the join form: a new room is added and joined (or joined
// on Connect), one in the list is shown, and joined again if it was out.
function joinFrom(name) {
  if (!ROOM_RE.test(name)) {
    ui.room.setCustomValidity(ROOM_RULE);
    ui.room.reportValidity();
    return;
  }
  const r = addRoom(name);
  if (r.state === 'out') setRoomState(r, 'pending');
  if (client.state !== 'disconnected' && r.state === 'pending') join(r);
  ui.room.value = '';
  show(r);
  drawer('');
  remember();
}

// subjectOf reads the token's sub for display only; the server decides who
// the user is.
function subjectOf(jwt) {
  try {
    const b64 = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const sub = JSON.parse(new TextDecoder().decode(bytes)).sub;
    return typeof sub === 'string' ? sub : '';
  } catch {
    return '';
  }
}

// ---- wiring ------------------------------------------------------------------

ui.form.addEventListener('submit', (e) => { e.preventDefault(); connect(); });
ui.disconnect.addEventListener('click', disconnect);
ui.join.addEventListener('submit', (e) => { e.preventDefault(); joinFrom(ui.room.value.trim()); });
ui.room.addEventListener('input', () => ui.room.setCustomValidity(''));
ui.rooms.addEventListener('click', (e) => {
  const r = rooms.get(e.target.closest('li[data-room]')?.dataset.room);
  if (!r) return;
  if (e.target.closest('.leave')) {
    leave(r);
  } else {
    show(r);
    drawer('');
  }
});
ui.send.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = ui.text.value;
  const r = shown;
  if (!text.trim() || r.state !== 'joined') return;
  ui.text.value = '';
  r.typedAt = 0; // the next keystroke says typing again at once
  r.lib.publish(text).catch((err) => {
    if (err.code === 'disconnected') system(r, `not confirmed, the connection dropped: ${text}`, 0, 'warn');
    else system(r, `error ${err.code}: ${err.message}`, 0, 'error');
  });
});
// Typing: one room.signal per TYPING_EVERY_MS while keys come; the others
// show it for a few seconds after the last one.
ui.text.addEventListener('input', () => {
  const r = shown;
  const now = Date.now();
  if (r.state !== 'joined' || !ui.text.value.trim() || now - r.typedAt < TYPING_EVERY_MS) return;
  r.typedAt = now;
  r.lib.signal({ typing: true });
});
ui.showRooms.addEventListener('click', () => drawer(document.body.dataset.drawer === 'rooms' ? '' : 'rooms'));
ui.showPeople.addEventListener('click', () => drawer(document.body.dataset.drawer === 'people' ? '' : 'people'));
ui.scrim.addEventListener('click', () => drawer(''));
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') drawer(''); });
restore();
setState('disconnected');
