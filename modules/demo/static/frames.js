// The frames of the chat page's socket: what it sends (each room frame
// names its room; a frame that asks for an answer carries a ref) and what
// it does with each frame the server sends. app.js owns the socket,
// rooms.js the rooms.
'use strict';

// ---- sending -----------------------------------------------------------------

// The server drops frames over RATE_LIMIT/RATE_BURST (20 a second, 40 at
// once by default) and closes a socket that keeps sending them, and lets at
// most 4 history.get wait per socket. A page in many rooms sends three
// frames per room when it connects, so frames leave through an outbox paced
// below those defaults, and history.get HISTORY_IN_FLIGHT at a time.
const PACE_START = { burst: 30, perSecond: 15 };
const PACE = { ...PACE_START }; // slowed down by a rate_limited answer, until the next Connect
const HISTORY_IN_FLIGHT = 3;
let outbox = [];
let tokens = PACE.burst;
let refilledAt = 0;
let pacer = 0;
let pageQueue = []; // rooms whose last messages are to be asked for
let pagesOut = 0;   // history.get sent and not answered yet
let lostTimer = 0;

// Frames about one room name it: on a socket opened without a room the
// server refuses them otherwise. One sent without a room means the room
// shown.
const ROOM_FRAMES = new Set(['chat.message', 'presence.list', 'history.get', 'room.signal']);

function send(frame) {
  if (ROOM_FRAMES.has(frame.type) && frame.room === undefined && shown !== nowhere) frame = { ...frame, room: shown.name };
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  const text = JSON.stringify(frame);
  if (frame.type === 'system.pong') outbox.unshift(text); // the server waits for it
  else outbox.push(text);
  flush();
  return true;
}

function flush() {
  const now = Date.now();
  tokens = Math.min(PACE.burst, tokens + (now - refilledAt) * PACE.perSecond / 1000);
  refilledAt = now;
  while (outbox.length && tokens >= 1 && ws && ws.readyState === WebSocket.OPEN) {
    ws.send(outbox.shift());
    tokens--;
  }
  if (outbox.length && !pacer) pacer = setTimeout(() => { pacer = 0; flush(); }, Math.ceil(1000 / PACE.perSecond));
}

// resetOutbox forgets what the last socket had still to send or to hear
// back; a new socket starts with the server's bucket full.
function resetOutbox() {
  outbox = [];
  clearTimeout(pacer);
  clearTimeout(lostTimer);
  pacer = lostTimer = 0;
  tokens = PACE.burst;
  pageQueue = [];
  pagesOut = 0;
  refs.clear();
}

// fetchShown asks for what the room on screen lacks: who is in it (once
// per join) and its last messages (once). A room waits until it is shown,
// so a page in many rooms sends one frame per room when it connects, not
// three.
function fetchShown() {
  const r = shown;
  if (r === nowhere || r.state !== 'joined') return;
  if (!r.listed) {
    r.listed = true;
    send({ type: 'presence.list', room: r.name });
  }
  if (!r.paged) {
    r.paged = true;
    historyGet(r);
  }
}

// historyGet asks for r's last messages once fewer than HISTORY_IN_FLIGHT
// pages are awaited.
function historyGet(r) {
  pageQueue.push(r.name);
  pumpPages();
}

function pumpPages() {
  while (pagesOut < HISTORY_IN_FLIGHT && pageQueue.length) {
    const room = rooms.get(pageQueue.shift());
    if (!room || room.state !== 'joined') continue;
    pagesOut++;
    send({ type: 'history.get', room: room.name, limit: HISTORY_LIMIT, ref: ask({ kind: 'history', room: room.name }) });
  }
}

// ask remembers what a frame asked and returns its ref; answered takes it back.
function ask(what) {
  const ref = `r${++nextRef}`;
  refs.set(ref, { ...what, at: Date.now() });
  return ref;
}

function answered(ref) {
  const what = typeof ref === 'string' ? refs.get(ref) : undefined;
  if (!what) return null;
  refs.delete(ref);
  if (what.kind === 'history') {
    pagesOut--;
    pumpPages();
  }
  return what;
}

// lost runs when the server dropped a frame unread (rate_limited carries no
// ref, so which one is unknown): the page slows down, and a join or a
// history.get still unanswered a moment later is sent again.
function lost() {
  PACE.perSecond = Math.max(2, PACE.perSecond / 2);
  PACE.burst = Math.max(4, Math.floor(PACE.burst / 2));
  tokens = Math.min(tokens, PACE.burst);
  clearTimeout(lostTimer);
  lostTimer = setTimeout(() => {
    lostTimer = 0;
    const before = Date.now() - 2000;
    for (const [ref, q] of [...refs]) {
      const r = rooms.get(q.room);
      if (q.at > before || !r) continue;
      if (q.kind === 'join' && r.state === 'joining') {
        refs.delete(ref);
        join(r);
      } else if (q.kind === 'history') {
        answered(ref);
        historyGet(r);
      }
    }
  }, 2500);
}

// names lists a few users and counts the rest, for a line about a crowd.
function names(list) {
  const few = list.slice(0, 5).map(String).join(', ');
  return list.length > 5 ? `${few} and ${list.length - 5} more` : few;
}

function receive(data) {
  let f;
  try { f = JSON.parse(data); } catch { return; }
  if (!f || typeof f !== 'object') return;
  const q = answered(f.ref);
  const r = rooms.get(f.room) || null;
  switch (f.type) {
    case 'chat.delivery': chat(r, f, true); break;
    case 'chat.ack': break; // stored and published; answered() let go of its ref
    case 'history.page': // the answer to history.get, oldest first
      if (r && Array.isArray(f.messages)) f.messages.forEach((m) => chat(r, m, false));
      break;
    case 'history.recovered': recovered(r, f); break;
    case 'room.joined': joined(r); break;
    case 'room.left': left(r, f); break;
    case 'room.signal':
      if (r && r.state === 'joined' && f.user !== me && f.data && typeof f.data.typing === 'boolean') {
        typing(r, String(f.user), f.data.typing);
      }
      break;
    case 'presence.state': if (r && Array.isArray(f.users)) setUsers(r, f.users); break;
    case 'presence.join': presence(r, [f.user], [], f.ts); break;
    case 'presence.leave': presence(r, [], [f.user], f.ts); break;
    case 'presence.diff': // several changes at once: leaves first, then joins
      if (Array.isArray(f.joins) && Array.isArray(f.leaves)) presence(r, f.joins, f.leaves, f.ts);
      break;
    case 'user.message': // to this user, whatever the room: shown where the user looks
      system(shown, `personal message: ${typeof f.text === 'string' ? f.text : preview(f.data)}`, f.ts, 'personal');
      break;
    case 'system.ping': send({ type: 'system.pong' }); break;
    case 'system.error': failed(q, f); break;
    case 'auth.refreshed': notice('token refreshed'); break;
  }
}

function joined(r) {
  if (!r || r.state !== 'joining') return; // left meanwhile, or a repeat
  const since = r.joinSince;
  r.replaying = !!since;
  r.listed = false; // presence may have changed while the room was away
  setRoomState(r, 'joined');
  system(r, `joined ${r.name}`);
  // With since, the server replays what was missed and says so in
  // history.recovered; without, the room's last messages are asked for
  // once it is on screen.
  fetchShown();
  if (r === shown && !matchMedia('(max-width: 699px)').matches) ui.text.focus();
}

function left(r, f) {
  if (!r) return;
  if (f.reason === 'left') { // the answer to room.leave
    dropRoom(r);
    return;
  }
  setRoomState(r, 'out');
  const why = f.reason === 'forbidden' ? 'the token no longer allows this room'
    : f.reason === 'disconnected' ? 'disconnected by the server' : String(f.reason);
  const text = typeof f.message === 'string' && f.message ? `: ${f.message}` : '';
  system(r, `removed from ${r.name} (${why}${text}); not joining it again`, 0, 'alert');
}

function recovered(r, f) {
  if (!r) return;
  r.replaying = false;
  if (f.complete === true) {
    const n = Number(f.count) || 0;
    system(r, `reconnected, ${n} missed message${n === 1 ? '' : 's'} recovered`);
  } else {
    system(r, 'some messages could not be recovered', 0, 'warn');
    r.paged = false; // show the room as it is now
    fetchShown();
  }
}

function presence(r, joins, leaves, ts) {
  if (!r) return;
  leaves.forEach((u) => { r.users.delete(String(u)); r.typing.delete(String(u)); });
  joins.forEach((u) => r.users.add(String(u)));
  if (r === shown) renderShown();
  if (joins.length) system(r, `${names(joins)} joined`, ts);
  if (leaves.length) system(r, `${names(leaves)} left`, ts);
}

// failed shows a system.error where it belongs: in the room of the frame it
// answers (its ref), else in the room shown. A join refused for its since
// (an id the server does not take) is tried once more without it.
function failed(q, f) {
  if (f.code === 'rate_limited' && !q) lost();
  const r = q ? rooms.get(q.room) : null;
  if (q && q.kind === 'join' && r) {
    if (f.code === 'bad_since' && q.since) {
      r.lastId = '';
      system(r, `the server did not take the last id seen in ${r.name}; trying once more without resuming`, 0, 'warn');
      setRoomState(r, 'pending');
      join(r);
      return;
    }
    if (f.code === 'unavailable') { // the server asks to try again
      setRoomState(r, 'pending');
      setTimeout(() => { if (online && r.state === 'pending' && rooms.get(r.name) === r) join(r); }, 2000);
    } else {
      setRoomState(r, 'out');
    }
  } else if (q && q.kind === 'leave' && r && f.code === 'not_joined') {
    dropRoom(r); // gone already
    return;
  }
  system(r || shown, `error ${f.code}: ${f.message}`, 0, 'error');
}
