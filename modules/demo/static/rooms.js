// The rooms of the chat page: each room the user joined has its own message
// list, presence, unread count and typing users; one of them is shown.
// app.js drives them from rt's client library (/client.js), which keeps
// the connection. Text from the server or the user only ever reaches the
// page through textContent.

const MAX_LINES = 500;
const TYPING_SHOWN_MS = 4000; // senders repeat their signal every ~2 s while typing
export const ROOM_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

const $ = (id) => document.getElementById(id);
export const ui = {
  form: $('connection'), token: $('token'), connect: $('connect'), disconnect: $('disconnect'),
  state: $('state'), detail: $('detail'),
  join: $('join'), room: $('room'), joinButton: $('join-button'), rooms: $('rooms'),
  title: $('room-title'), showRooms: $('show-rooms'), roomsUnread: $('rooms-unread'),
  showPeople: $('show-people'), peopleCount: $('people-count'), scrim: $('scrim'),
  hint: $('hint'), lists: $('lists'), messages: $('messages'), typing: $('typing'),
  presence: $('presence'),
  send: $('send'), text: $('text'), sendButton: $('send-button'),
};

// rooms maps a name to its room, in the order they were added (the list's).
// A room's state: pending (to join once connected), joining, joined,
// leaving, or out (refused or removed by the server: not joined again until
// the user asks).
export const rooms = new Map();
// nowhere is the view shown while no room is: before the first join and
// after the last leave. It gets the connection's lines like every room.
export const nowhere = { name: '', list: ui.messages, users: new Set(), typing: new Map(), stick: true, scroll: 0 };
export let shown = nowhere;
let me = '';        // the token's sub, for display only: the server decides who the user is
let online = false; // the client is connected (app.js says so)
// hooks.shown(r) runs whenever r is put on screen (app.js loads its history).
export const hooks = { shown() {} };

export function setMe(user) { me = user; }
export function setOnline(on) { online = on; }

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- the room list -----------------------------------------------------------

// addRoom returns the room called name, making it (pending) if it is new.
export function addRoom(name) {
  let r = rooms.get(name);
  if (r) return r;
  const list = el('ol', 'messages');
  list.hidden = true;
  list.setAttribute('aria-live', 'polite');
  ui.lists.append(list);
  const open = el('button', 'open');
  open.type = 'button';
  open.append(el('span', 'name', name), el('span', 'unread'));
  const leave = el('button', 'leave', '×');
  leave.type = 'button';
  leave.title = `Leave ${name}`;
  leave.setAttribute('aria-label', `Leave ${name}`);
  const item = el('li');
  item.dataset.room = name;
  item.append(open, leave);
  ui.rooms.append(item);
  r = { name, list, item, state: 'pending', users: new Set(), typing: new Map(), unread: 0,
    paged: false, typedAt: 0, stick: true, scroll: 0 };
  rooms.set(name, r);
  renderRoom(r);
  return r;
}

// dropRoom forgets r; when it was shown, the next room (or nowhere) is.
export function dropRoom(r) {
  if (rooms.get(r.name) !== r) return;
  const order = [...rooms.keys()];
  const at = order.indexOf(r.name);
  const next = rooms.get(order[at + 1] ?? order[at - 1]);
  rooms.delete(r.name);
  if (shown === r) show(next || nowhere);
  r.item.remove();
  r.list.remove();
  remember();
}

export function setRoomState(r, state) {
  r.state = state;
  if (state !== 'joined') {
    r.users.clear();
    r.typing.clear();
  }
  renderRoom(r);
  if (r === shown) renderShown();
}

function renderRoom(r) {
  r.item.dataset.state = r.state;
  r.item.classList.toggle('current', r === shown);
  const open = r.item.firstElementChild;
  if (r === shown) open.setAttribute('aria-current', 'true');
  else open.removeAttribute('aria-current');
  const badge = open.lastElementChild;
  badge.textContent = r.unread > 99 ? '99+' : String(r.unread);
  badge.hidden = r.unread === 0;
  const note = { pending: 'not joined yet', joining: 'joining…', leaving: 'leaving…',
    out: 'not in this room: join it again with Join' }[r.state];
  open.title = note ? `${r.name}: ${note}` : r.name;
  const unread = [...rooms.values()].reduce((n, x) => n + x.unread, 0);
  ui.roomsUnread.textContent = String(unread);
  ui.roomsUnread.hidden = unread === 0;
}

// show makes r the room on screen, keeping where each list was scrolled.
export function show(r) {
  if (shown !== r) {
    const old = shown;
    old.stick = atBottom(old.list);
    old.scroll = old.list.scrollTop;
    old.list.hidden = true;
    old.list.removeAttribute('id');
    shown = r;
    r.list.id = 'messages'; // the shown list is always #messages
    r.list.hidden = false;
    r.list.scrollTop = r.stick ? r.list.scrollHeight : r.scroll;
    if (old !== nowhere) renderRoom(old);
  }
  if (r !== nowhere) {
    r.unread = 0;
    renderRoom(r);
  }
  renderShown();
  hooks.shown(r);
  try { sessionStorage.setItem('rt.room', r.name); } catch { /* storage disabled */ }
}

// renderShown redraws what belongs to the shown room around its messages.
export function renderShown() {
  const r = shown;
  ui.title.textContent = r === nowhere ? 'no room' : `# ${r.name}`;
  ui.title.title = r.name;
  renderUsers();
  renderTyping();
  const ok = online && r.state === 'joined';
  ui.text.disabled = ui.sendButton.disabled = !ok;
  ui.text.placeholder = ok || !online ? 'Write a message, Enter to send'
    : r === nowhere ? 'Join a room to write' : `Not in ${r.name} (${r.state})`;
}

// ---- lines -------------------------------------------------------------------

function atBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 40;
}

function clock(ts) {
  const d = typeof ts === 'number' && ts > 0 ? new Date(ts) : new Date();
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// line adds li to r's messages, before the element before (or last).
function line(r, li, ts, before) {
  const t = el('time', 'time', clock(ts));
  if (typeof ts === 'number') t.dateTime = new Date(ts).toISOString();
  li.prepend(t, ' ');
  ui.hint.hidden = true; // the first line replaces the hint for good
  const list = r.list;
  const follow = r === shown ? atBottom(list) : r.stick;
  list.insertBefore(li, before || null);
  while (list.children.length > MAX_LINES) list.firstElementChild.remove();
  if (r === shown && follow) list.scrollTop = list.scrollHeight;
}

// chat shows a message in r once, in id order: ids are opaque strings that
// compare in publish order. A message older than the last ones shown (from
// history) goes just above the newer ones; one already shown is dropped. A
// live one from someone else counts as unread while r is not shown.
export function chat(r, f, live) {
  if (!r || !f || typeof f !== 'object') return;
  const id = typeof f.id === 'string' ? f.id : '';
  let before = null;
  if (id) {
    for (let n = r.list.lastElementChild; n; n = n.previousElementSibling) {
      const other = n.dataset.id;
      if (!other) continue; // a system line
      if (other === id) return; // already shown
      if (other < id) break;
      before = n;
    }
  }
  const user = String(f.user);
  const li = el('li', user === me ? 'msg mine' : 'msg');
  if (id) li.dataset.id = id;
  li.append(el('span', 'user', user), ' ', el('span', 'text', typeof f.text === 'string' ? f.text : ''));
  if (f.data !== undefined && f.data !== null) li.append(' ', el('code', 'data', preview(f.data)));
  line(r, li, f.ts, before);
  if (r.typing.delete(user) && r === shown) renderTyping();
  if (live && r !== shown && user !== me && r !== nowhere) {
    r.unread++;
    renderRoom(r);
  }
}

// preview is a message's JSON data as one short line.
export function preview(data) {
  const s = JSON.stringify(data);
  return s.length > 200 ? s.slice(0, 199) + '…' : s;
}

// system adds a line about r (not a chat message), unless it would repeat
// the line just above it (a retry loop says the same thing again).
export function system(r, text, ts, kind) {
  const last = r.list.lastElementChild;
  if (last && last.dataset.text === text) return;
  const li = el('li', kind ? `sys ${kind}` : 'sys', text);
  li.dataset.text = text;
  line(r, li, ts);
}

// notice is a line about the connection: every room gets it.
export function notice(text, ts, kind) {
  system(nowhere, text, ts, kind);
  for (const r of rooms.values()) system(r, text, ts, kind);
}

export function clearLines(r) {
  r.list.replaceChildren();
  r.paged = false;
  r.unread = 0;
  r.stick = true;
  if (r !== nowhere) renderRoom(r);
}

// ---- presence and typing -----------------------------------------------------

// names lists a few users and counts the rest, for a line about a crowd.
function names(list) {
  const few = list.slice(0, 5).map(String).join(', ');
  return list.length > 5 ? `${few} and ${list.length - 5} more` : few;
}

// joinedUsers starts r's users, once joined, from the client's (those it
// had before a reconnect, or none).
export function joinedUsers(r, list) {
  r.users = new Set(list.map(String));
}

// setUsers takes r's users as the client folded them and says who came and
// who went, unless the change is listed (the list of who was there already,
// which the client reads after each join: no news) or the user's own arrival.
export function setUsers(r, list, { listed }) {
  const now = new Set(list.map(String));
  const joins = [...now].filter((u) => !r.users.has(u) && u !== me);
  const leaves = [...r.users].filter((u) => !now.has(u));
  r.users = now;
  leaves.forEach((u) => r.typing.delete(u));
  if (r === shown) renderShown();
  if (listed) return;
  if (joins.length) system(r, `${names(joins)} joined`);
  if (leaves.length) system(r, `${names(leaves)} left`);
}

function renderUsers() {
  const r = shown;
  const items = [...r.users].sort().map((u) => el('li', u === me ? 'me' : '', u));
  ui.presence.replaceChildren(...items);
  ui.peopleCount.textContent = r.state === 'joined' ? String(r.users.size) : '';
}

let typingTimer = 0;

// typing notes that user is typing in r, for TYPING_SHOWN_MS.
export function typing(r, user, on) {
  if (on) r.typing.set(user, Date.now() + TYPING_SHOWN_MS);
  else r.typing.delete(user);
  if (r === shown) renderTyping();
  if (!typingTimer) typingTimer = setInterval(expireTyping, 500);
}

function expireTyping() {
  const now = Date.now();
  let left = 0;
  for (const r of [nowhere, ...rooms.values()]) {
    for (const [u, until] of r.typing) if (until <= now) r.typing.delete(u);
    left += r.typing.size;
  }
  renderTyping();
  if (!left) typingTimer = clearInterval(typingTimer) || 0;
}

function renderTyping() {
  const who = [...shown.typing.keys()].sort();
  ui.typing.textContent = who.length === 0 ? ''
    : who.length === 1 ? `${who[0]} is typing…`
      : who.length <= 3 ? `${who.slice(0, -1).join(', ')} and ${who.at(-1)} are typing…`
        : `${who.length} people are typing…`;
}

// ---- drawers (narrow screens) ------------------------------------------------

// drawer opens the rooms or people panel over the conversation, or closes
// both (''). CSS decides: where a panel is a column, the attribute changes
// nothing (nor does the scrim behind an open drawer show).
export function drawer(which) {
  document.body.dataset.drawer = which;
  ui.showRooms.setAttribute('aria-expanded', String(which === 'rooms'));
  ui.showPeople.setAttribute('aria-expanded', String(which === 'people'));
}

// ---- remembering -------------------------------------------------------------

// remember keeps the token and the rooms in this tab's session storage, so
// that a reload offers them again.
export function remember(token) {
  try {
    if (token !== undefined) sessionStorage.setItem('rt.token', token);
    sessionStorage.setItem('rt.rooms', JSON.stringify([...rooms.keys()]));
  } catch { /* storage disabled: nothing to remember */ }
}

export function restore() {
  try {
    ui.token.value = sessionStorage.getItem('rt.token') || '';
    const names = JSON.parse(sessionStorage.getItem('rt.rooms') || '[]');
    const current = sessionStorage.getItem('rt.room') || '';
    if (Array.isArray(names)) names.filter((n) => ROOM_RE.test(n)).forEach(addRoom);
    if (rooms.size) ui.room.value = '';
    if (rooms.has(current)) show(rooms.get(current));
    else if (rooms.size) show(rooms.values().next().value);
  } catch { /* storage disabled or garbled */ }
}
