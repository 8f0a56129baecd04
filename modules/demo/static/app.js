// The rt chat page's connection: one WebSocket to /ws?token= (protocol 2)
// that joins every room of the list (room.join) and leaves them
// (room.leave), sends messages with a ref (answered chat.ack) and typing
// signals (room.signal), and reconnects with backoff. Opening a room shows
// its last messages (history.get); a reconnect joins each room again with
// since = the last id seen in it, so the server replays what was missed.
// rooms.js keeps each room's lines, presence and unread count; frames.js
// answers the server's frames.
'use strict';

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15000;
const STABLE_MS = 10000; // a connection that stayed open this long resets the backoff
const HISTORY_LIMIT = 50; // messages shown when a room opens
const TYPING_EVERY_MS = 2000; // at most one typing signal per room this often
const ROOM_RULE = 'a room name is 1 to 64 letters, digits or . _ : - and starts with a letter or digit';
const HANDSHAKE_REFUSED = 'the server refused the handshake: token missing, invalid or expired, ' +
  'or too many connections';

let target = null;  // {token, user} of the last Connect
let ws = null;      // the current socket
let gen = 0;        // bumped by every open and Disconnect; stale callbacks compare it
let wanted = false; // the user asked to be connected and nothing final happened since
let attempt = 0;    // reconnects since the last stable connection
let retryTimer = 0;
let countdown = 0;
let refusals = 0;   // handshakes refused in a row (the origin being accepted)
let nextRef = 0;
const refs = new Map(); // ref → what the frame asked ({kind, room, since}), until answered

// ---- state -------------------------------------------------------------------

function setState(state, label, detail) {
  ui.state.dataset.state = state;
  ui.state.textContent = label || state;
  ui.detail.textContent = detail || '';
  const busy = state === 'connecting' || state === 'connected' || state === 'reconnecting';
  ui.connect.disabled = state === 'connecting' || state === 'connected';
  ui.disconnect.disabled = !busy;
  ui.token.disabled = busy;
  online = state === 'connected';
  renderShown();
}

// ---- connecting --------------------------------------------------------------

function connect() {
  const name = ui.room.value.trim();
  const token = ui.token.value.trim();
  if (name && !ROOM_RE.test(name)) {
    setState('disconnected', '', ROOM_RULE);
    return;
  }
  if (!token) {
    setState('disconnected', '', 'paste a token first: go tool task token -- -sub alice');
    return;
  }
  if (name) {
    show(addRoom(name));
    ui.room.value = '';
  } else if (shown === nowhere && rooms.size) {
    show(rooms.values().next().value);
  }
  target = { token, user: subjectOf(token) };
  me = target.user;
  remember(token);
  wanted = true;
  attempt = 0;
  refusals = 0;
  Object.assign(PACE, PACE_START); // a server slowed the last connection down: try afresh
  clearLines(nowhere);
  for (const r of rooms.values()) { // a fresh view: each room's history fills it
    clearLines(r);
    setRoomState(r, 'pending');
  }
  open();
}

function open() {
  clearRetry();
  const my = ++gen;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  setState('connecting', '', `to ${location.host}`);
  let openedAt = 0;
  const sock = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(target.token)}`);
  ws = sock;
  sock.onopen = () => {
    if (my !== gen) return;
    openedAt = Date.now();
    refusals = 0;
    setState('connected', '', target.user ? `as ${target.user}` : '');
    notice(target.user ? `connected as ${target.user}` : 'connected');
    for (const r of rooms.values()) if (r.state === 'pending') join(r);
  };
  sock.onmessage = (ev) => { if (my === gen) receive(ev.data); };
  sock.onclose = (ev) => {
    if (my !== gen) return; // the user disconnected, or a newer socket took over
    ws = null;
    offline();
    if (openedAt) closedAfterOpen(ev, Date.now() - openedAt);
    else closedBeforeOpen(my);
  };
}

// offline marks every room to be joined again by the next socket; a room
// the user was leaving is gone.
function offline() {
  resetOutbox();
  for (const r of [...rooms.values()]) {
    if (r.state === 'leaving') dropRoom(r);
    else if (r.state !== 'out') setRoomState(r, 'pending');
  }
}

function disconnect() {
  gen++;
  wanted = false;
  clearRetry();
  if (ws) ws.close(1000, 'bye');
  ws = null;
  offline();
  setState('disconnected');
  notice('disconnected');
}

// closedAfterOpen explains a close of an opened socket and reconnects,
// except after 1008 (policy), 4001 (token expired) and 4003 (the server's
// backend disconnected this user, with its reason).
function closedAfterOpen(ev, lived) {
  if (lived >= STABLE_MS) attempt = 0;
  const why = ev.code === 1005 || ev.code === 1006
    ? `connection lost (${ev.code})`
    : `closed by server: ${ev.code}${ev.reason ? ' ' + ev.reason : ''}`;
  if (ev.code === 4003) {
    stop('closed', `disconnected by the server (4003)${ev.reason ? ': ' + ev.reason : ''}; not reconnecting`);
  } else if (ev.code === 4001) {
    stop('closed', `${why}; get a new token, paste it and press Connect`);
  } else if (ev.code === 1008) {
    stop('closed', `${why}; closed for a policy violation, not reconnecting`);
  } else {
    notice(why);
    for (const r of rooms.values()) {
      if (ev.code === 4002 && r.replaying) {
        // The replay of what was missed overflowed the send queue; asking
        // for it again would do the same. Start afresh from the last page.
        r.lastId = '';
        system(r, 'some messages could not be recovered', 0, 'warn');
      }
    }
    retry(why);
  }
}

// closedBeforeOpen runs when the handshake failed. The browser hides the
// HTTP status of a refused handshake, so ask the server whether it accepts
// this page's origin; if it cannot be reached, keep trying. With the origin
// accepted, the handshake was refused, or the network came back between
// the attempt and the question: so a refusal is believed the second time
// in a row.
async function closedBeforeOpen(my) {
  setState('connecting', '', 'the socket closed before opening; asking the server why');
  let answer;
  try {
    const res = await fetch('/demo/origin', { method: 'POST', cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    answer = await res.json();
  } catch {
    if (my !== gen) return;
    notice('server unreachable');
    retry('server unreachable');
    return;
  }
  if (my !== gen) return;
  if (!answer.allowed) {
    stop('refused', `the server does not accept this page's origin ${answer.origin || '(none)'}: ` +
      'it is not in ALLOWED_ORIGINS; ' + (typeof answer.use === 'string' && answer.use
      ? `open the page at ${answer.use} instead`
      : `add ${answer.origin || "this page's origin"} to ALLOWED_ORIGINS and restart the server`));
  } else if (++refusals < 2) {
    retry('the server did not take the connection; trying again');
  } else {
    stop('refused', HANDSHAKE_REFUSED);
  }
}

function stop(state, why) {
  wanted = false;
  clearRetry();
  setState(state, '', why);
  notice(why, 0, 'alert');
}

// retry schedules the next attempt: full jitter over an exponential window.
function retry(why) {
  if (!wanted) return;
  const delay = Math.round(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
  attempt++;
  const due = Date.now() + delay;
  const tick = () => {
    const s = Math.max(0, Math.ceil((due - Date.now()) / 1000));
    setState('reconnecting', `reconnecting in ${s} s`, why);
  };
  clearRetry();
  tick();
  countdown = setInterval(tick, 250);
  retryTimer = setTimeout(open, delay);
}

function clearRetry() {
  clearTimeout(retryTimer);
  clearInterval(countdown);
  retryTimer = countdown = 0;
}

// ---- rooms -------------------------------------------------------------------

// join asks for r, resuming after the last id seen in it: the server then
// replays what was missed and ends with history.recovered.
function join(r) {
  const since = r.lastId;
  r.joinSince = since;
  setRoomState(r, 'joining');
  send({ type: 'room.join', room: r.name, ...(since ? { since } : {}), ref: ask({ kind: 'join', room: r.name, since }) });
}

function leave(r) {
  if (online && (r.state === 'joined' || r.state === 'joining')) {
    setRoomState(r, 'leaving');
    send({ type: 'room.leave', room: r.name, ref: ask({ kind: 'leave', room: r.name }) });
  } else {
    dropRoom(r);
  }
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
  if (online && r.state === 'pending') join(r);
  ui.room.value = '';
  show(r);
  drawer('');
  remember();
}

// ---- helpers -----------------------------------------------------------------

// subjectOf reads the token's sub for display only; the server decides who
// the user is.
function subjectOf(token) {
  try {
    const b64 = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
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
  if (send({ type: 'chat.message', room: r.name, text, ref: ask({ kind: 'chat', room: r.name }) })) {
    ui.text.value = '';
    r.typedAt = 0; // the next keystroke says typing again at once
  }
});
// Typing: one room.signal per TYPING_EVERY_MS while keys come; the others
// show it for a few seconds after the last one.
ui.text.addEventListener('input', () => {
  const r = shown;
  const now = Date.now();
  if (r.state !== 'joined' || !ui.text.value.trim() || now - r.typedAt < TYPING_EVERY_MS) return;
  r.typedAt = now;
  send({ type: 'room.signal', room: r.name, data: { typing: true } });
});
ui.showRooms.addEventListener('click', () => drawer(document.body.dataset.drawer === 'rooms' ? '' : 'rooms'));
ui.showPeople.addEventListener('click', () => drawer(document.body.dataset.drawer === 'people' ? '' : 'people'));
ui.scrim.addEventListener('click', () => drawer(''));
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') drawer(''); });
restore();
setState('disconnected');
