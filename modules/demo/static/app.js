// The rt chat page: one WebSocket to /ws/<room>, the room's messages and
// presence, and reconnection with backoff. Opening a room shows its last
// messages (history.get); a reconnect asks for what it missed (since=<the
// last chat id>). Chat lines are kept in id order, each id once. Text from
// the server or the user only ever reaches the page through textContent.
'use strict';

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15000;
const STABLE_MS = 10000; // a connection that stayed open this long resets the backoff
const MAX_LINES = 500;
const HISTORY_LIMIT = 50; // messages shown when a room opens
const ROOM_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const HANDSHAKE_REFUSED = 'the server refused the handshake: token missing, invalid or expired, ' +
  'the token does not allow this room, or too many connections';

const $ = (id) => document.getElementById(id);
const ui = {
  form: $('connection'), room: $('room'), token: $('token'),
  connect: $('connect'), disconnect: $('disconnect'),
  state: $('state'), detail: $('detail'),
  messages: $('messages'), hint: $('hint'), presence: $('presence'),
  send: $('send'), text: $('text'), sendButton: $('send-button'),
};

let target = null; // {room, token, user} of the last Connect
let ws = null;     // the current socket
let gen = 0;       // bumped by every open and Disconnect; stale callbacks compare it
let wanted = false; // the user asked to be connected and nothing final happened since
let attempt = 0;   // reconnects since the last stable connection
let retryTimer = 0;
let countdown = 0;
let lastId = '';   // the greatest chat id received in this room: the next reconnect's since
let replaying = false; // the socket was opened with since and history.recovered has not come yet
let refusals = 0;  // handshakes refused in a row (the origin being accepted)
const users = new Set();

// ---- state -----------------------------------------------------------------

function setState(state, label, detail) {
  ui.state.dataset.state = state;
  ui.state.textContent = label || state;
  ui.detail.textContent = detail || '';
  const busy = state === 'connecting' || state === 'connected' || state === 'reconnecting';
  ui.connect.disabled = state === 'connecting' || state === 'connected';
  ui.disconnect.disabled = !busy;
  ui.room.disabled = ui.token.disabled = busy;
  ui.text.disabled = ui.sendButton.disabled = state !== 'connected';
}

// ---- connecting ------------------------------------------------------------

function connect() {
  const room = ui.room.value.trim();
  const token = ui.token.value.trim();
  if (!ROOM_RE.test(room)) {
    setState('disconnected', '', 'a room name is 1 to 64 letters, digits or . _ : - and starts with a letter or digit');
    return;
  }
  if (!token) {
    setState('disconnected', '', 'paste a token first: go tool task token -- -sub alice');
    return;
  }
  remember(room, token);
  target = { room, token, user: subjectOf(token) };
  wanted = true;
  attempt = 0;
  refusals = 0;
  lastId = '';
  clearLines(); // a fresh view: the room's history fills it
  open();
}

function open() {
  clearRetry();
  const my = ++gen;
  const { room, token } = target;
  const since = lastId; // ask for what was missed since the last message seen
  replaying = false;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}/ws/${encodeURIComponent(room)}?token=${encodeURIComponent(token)}` +
    (since ? `&since=${encodeURIComponent(since)}` : '');
  setState('connecting', '', `to room ${room}`);
  let openedAt = 0;
  const sock = new WebSocket(url);
  ws = sock;
  sock.onopen = () => {
    if (my !== gen) return;
    openedAt = Date.now();
    replaying = !!since;
    refusals = 0;
    setState('connected', '', `to room ${room}` + (target.user ? ` as ${target.user}` : ''));
    system(`connected to ${room}`);
    send({ type: 'presence.list' });
    // With since, the server replays what was missed and says so in
    // history.recovered; without, show the room's last messages.
    if (!since) send({ type: 'history.get', limit: HISTORY_LIMIT });
    ui.text.focus();
  };
  sock.onmessage = (ev) => { if (my === gen) receive(ev.data); };
  sock.onclose = (ev) => {
    if (my !== gen) return; // the user disconnected, or a newer socket took over
    ws = null;
    setUsers([]);
    if (openedAt) closedAfterOpen(ev, Date.now() - openedAt);
    else closedBeforeOpen(my, since);
  };
}

function disconnect() {
  gen++;
  wanted = false;
  clearRetry();
  if (ws) ws.close(1000, 'bye');
  ws = null;
  setUsers([]);
  setState('disconnected');
  system('disconnected');
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
    system(why);
    if (ev.code === 4002 && replaying) {
      // The replay of what was missed overflowed the send queue; asking
      // for it again would do the same. Start afresh from the last page.
      lastId = '';
      system('some messages could not be recovered', 0, 'warn');
    }
    retry(why);
  }
}

// closedBeforeOpen runs when the handshake failed. The browser hides the
// HTTP status of a refused handshake, so ask the server whether it accepts
// this page's origin; if it cannot be reached, keep trying. With the origin
// accepted, the handshake was refused, or the network came back between
// the attempt and the question: so a refusal is believed the second time
// in a row. A refused attempt that carried since is then tried once more
// without it, in case the server did not take the id (a server of another
// version, bad_since).
async function closedBeforeOpen(my, since) {
  setState('connecting', '', 'the socket closed before opening; asking the server why');
  let answer;
  try {
    const res = await fetch('/demo/origin', { method: 'POST', cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    answer = await res.json();
  } catch {
    if (my !== gen) return;
    system('server unreachable');
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
  } else if (since) {
    lastId = '';
    system('the server refused the reconnect; trying once more without resuming from the last message');
    retry('trying without resuming');
  } else {
    stop('refused', HANDSHAKE_REFUSED);
  }
}

function stop(state, why) {
  wanted = false;
  clearRetry();
  setState(state, '', why);
  system(why, 0, 'alert');
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

// ---- frames ----------------------------------------------------------------

function send(frame) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
}

// names lists a few users and counts the rest, for a line about a crowd.
function names(list) {
  const shown = list.slice(0, 5).map(String).join(', ');
  return list.length > 5 ? `${shown} and ${list.length - 5} more` : shown;
}

function receive(data) {
  let f;
  try { f = JSON.parse(data); } catch { return; }
  if (!f || typeof f !== 'object') return;
  switch (f.type) {
    case 'chat.delivery':
      chat(f);
      break;
    case 'history.page': // the answer to history.get, oldest first
      if (Array.isArray(f.messages)) f.messages.forEach(chat);
      break;
    case 'history.recovered': // the replay after a reconnect with since is over
      replaying = false;
      if (f.complete === true) {
        const n = Number(f.count) || 0;
        system(`reconnected, ${n} missed message${n === 1 ? '' : 's'} recovered`);
      } else {
        system('some messages could not be recovered', 0, 'warn');
        send({ type: 'history.get', limit: HISTORY_LIMIT }); // show the room as it is now
      }
      break;
    case 'presence.state':
      if (Array.isArray(f.users)) setUsers(f.users);
      break;
    case 'presence.join':
      users.add(String(f.user));
      renderUsers();
      system(`${f.user} joined`, f.ts);
      break;
    case 'presence.leave':
      users.delete(String(f.user));
      renderUsers();
      system(`${f.user} left`, f.ts);
      break;
    case 'presence.diff': // several changes at once: leaves first, then joins
      if (!Array.isArray(f.joins) || !Array.isArray(f.leaves)) break;
      f.leaves.forEach((u) => users.delete(String(u)));
      f.joins.forEach((u) => users.add(String(u)));
      renderUsers();
      if (f.joins.length) system(`${names(f.joins)} joined`, f.ts);
      if (f.leaves.length) system(`${names(f.leaves)} left`, f.ts);
      break;
    case 'system.ping':
      send({ type: 'system.pong' });
      break;
    case 'system.error':
      system(`error ${f.code}: ${f.message}`, 0, 'error');
      break;
    case 'auth.refreshed':
      system('token refreshed');
      break;
  }
}

// ---- rendering -------------------------------------------------------------

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function clock(ts) {
  const d = typeof ts === 'number' && ts > 0 ? new Date(ts) : new Date();
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// line adds li to the messages, before the element before (or last).
function line(li, ts, before) {
  const t = el('time', 'time', clock(ts));
  if (typeof ts === 'number') t.dateTime = new Date(ts).toISOString();
  li.prepend(t, ' ');
  ui.hint.hidden = true; // the first line replaces the hint for good
  const list = ui.messages;
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.insertBefore(li, before || null);
  while (list.children.length > MAX_LINES) list.firstElementChild.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

// chat shows a chat.delivery once, in id order: ids are opaque strings that
// compare in publish order. A message older than the last ones shown (from
// history) goes just above the newer ones; one already shown is dropped.
function chat(f) {
  if (!f || typeof f !== 'object') return;
  const id = typeof f.id === 'string' ? f.id : '';
  let before = null;
  if (id) {
    for (let n = ui.messages.lastElementChild; n; n = n.previousElementSibling) {
      const other = n.dataset.id;
      if (!other) continue; // a system line
      if (other === id) return; // already shown
      if (other < id) break;
      before = n;
    }
    if (id > lastId) lastId = id;
  }
  const li = el('li', f.user === target?.user ? 'msg mine' : 'msg');
  if (id) li.dataset.id = id;
  li.append(el('span', 'user', String(f.user)), ' ', el('span', 'text', String(f.text)));
  line(li, f.ts, before);
}

let lastLine = null; // the last system line, so a retry loop does not repeat itself

function system(text, ts, kind) {
  if (lastLine && lastLine.isConnected && lastLine === ui.messages.lastElementChild &&
      lastLine.dataset.text === text) return;
  const li = el('li', kind ? `sys ${kind}` : 'sys', text);
  li.dataset.text = text;
  line(li, ts);
  lastLine = li;
}

function clearLines() {
  ui.messages.replaceChildren();
  lastLine = null;
}

function setUsers(list) {
  users.clear();
  for (const u of list) users.add(String(u));
  renderUsers();
}

function renderUsers() {
  const items = [...users].sort().map((u) => el('li', u === target?.user ? 'me' : '', u));
  ui.presence.replaceChildren(...items);
}

// ---- helpers ---------------------------------------------------------------

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

function remember(room, token) {
  try {
    sessionStorage.setItem('rt.room', room);
    sessionStorage.setItem('rt.token', token);
  } catch { /* storage disabled: nothing to remember */ }
}

function restore() {
  try {
    ui.room.value = sessionStorage.getItem('rt.room') || ui.room.value;
    ui.token.value = sessionStorage.getItem('rt.token') || '';
  } catch { /* storage disabled */ }
}

// ---- wiring ----------------------------------------------------------------

ui.form.addEventListener('submit', (e) => { e.preventDefault(); connect(); });
ui.disconnect.addEventListener('click', disconnect);
ui.send.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = ui.text.value;
  if (!text.trim() || !ws) return;
  send({ type: 'chat.message', text });
  ui.text.value = '';
});
restore();
setState('disconnected');
