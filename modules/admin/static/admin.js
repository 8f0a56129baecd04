// The admin page: asks for API_KEY, keeps it in sessionStorage (this tab
// only: never in the URL, a cookie or localStorage), sends it as
// "Authorization: Bearer" with every call to the server API on this same
// origin, and refreshes what it shows every 5 s.
import { colourOf, draw, spanOf } from './charts.js';

const KEY = 'rt.admin.key';
const REFRESH_MS = 5000;
const WINDOW_MS = 15 * 60 * 1000;
const $ = (id) => document.getElementById(id);

let timer = null;

class Unauthorized extends Error {}

// call sends one request to the API with the key; it resolves with the
// parsed answer and throws Unauthorized on 401, an Error naming the API's
// error code otherwise.
async function call(method, path, body, key = sessionStorage.getItem(KEY)) {
  const headers = { Authorization: `Bearer ${key}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store', credentials: 'omit' });
  const answer = await res.json().catch(() => null);
  if (res.status === 401) throw new Unauthorized();
  if (!res.ok) throw new Error(answer?.error || `HTTP ${res.status}`);
  return answer;
}

// ---- signing in and out ----------------------------------------------------

async function signIn(e) {
  e.preventDefault();
  const key = $('key').value;
  $('login-error').textContent = '';
  $('sign-in').disabled = true;
  try {
    await call('GET', '/api/admin/nodes', undefined, key);
    sessionStorage.setItem(KEY, key);
    $('key').value = '';
    show();
  } catch (err) {
    $('login-error').textContent = err instanceof Unauthorized
      ? 'Wrong key: the server refused it.' : `The server did not answer as expected: ${err.message}`;
  } finally {
    $('sign-in').disabled = false;
  }
}

function signOut(message = '') {
  sessionStorage.removeItem(KEY);
  clearInterval(timer);
  timer = null;
  $('dashboard').hidden = true;
  $('sign-out').hidden = true;
  $('login-view').hidden = false;
  $('summary').textContent = '';
  $('login-error').textContent = message;
  $('key').focus();
}

function show() {
  $('login-view').hidden = true;
  $('dashboard').hidden = false;
  $('sign-out').hidden = false;
  refresh();
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
}

// ---- the live part -------------------------------------------------------------

let nodeOrder = []; // node ids, in the order their colours were given

async function refresh() {
  try {
    const [{ nodes }, { rooms }, series] = await Promise.all([
      call('GET', '/api/admin/nodes'), call('GET', '/api/admin/rooms?limit=10'), call('GET', '/api/admin/series')]);
    for (const n of nodes) if (!nodeOrder.includes(n.id)) nodeOrder.push(n.id);
    renderNodes(nodes);
    renderRooms(rooms);
    renderCharts(series.nodes);
    const conns = nodes.reduce((s, n) => s + n.connections, 0);
    $('summary').textContent = `${nodes.length} node${nodes.length === 1 ? '' : 's'}, ${conns} connection${conns === 1 ? '' : 's'} · updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    if (err instanceof Unauthorized) return signOut('The key is no longer accepted; sign in again.');
    $('summary').textContent = `Refresh failed: ${err.message}; retrying every 5 s.`;
  }
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.append(td);
  return td;
}

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

function backendText(b) {
  let t = b.mode;
  if (b.mode === 'cluster') t += `, ${b.shards} shard${b.shards === 1 ? '' : 's'}`;
  if (b.shards_down?.length) t += `, down: ${b.shards_down.join(' ')}`;
  return t;
}

function renderNodes(nodes) {
  const body = $('nodes').tBodies[0];
  const labels = [...$('nodes').tHead.rows[0].cells].map((th) => th.textContent);
  body.replaceChildren(...nodes.map((n) => {
    const tr = document.createElement('tr');
    tr.dataset.node = n.id;
    const id = cell(tr, '');
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.style.background = colourOf(nodeOrder.indexOf(n.id));
    const name = document.createElement('span');
    name.append(dot, n.id);
    id.append(name);
    id.title = `${n.addr} · started ${new Date(n.started_at).toLocaleString()}`;
    cell(tr, n.version).title = `commit ${n.commit}, ${n.go}`;
    cell(tr, String(n.connections), 'num');
    cell(tr, String(n.rooms), 'num');
    cell(tr, ago(n.last_seen));
    const status = cell(tr, '');
    const badge = document.createElement('span');
    badge.className = `badge ${n.backend.status === 'ok' ? 'ok' : 'bad'}`;
    badge.textContent = n.backend.status === 'ok' ? 'ok' : 'failing';
    badge.title = n.backend.status;
    const state = document.createElement('span');
    state.append(badge, ` ${backendText(n.backend)}`);
    status.append(state);
    // Each cell's column name, which a narrow screen shows beside it (admin.css).
    [...tr.cells].forEach((td, i) => { td.dataset.label = labels[i]; });
    return tr;
  }));
  const most = Math.max(1, ...nodes.map((n) => n.connections));
  $('conn-bars').replaceChildren(...nodes.map((n) => {
    const row = document.createElement('div');
    row.className = 'bar-row';
    const name = document.createElement('span');
    name.className = 'bar-name';
    name.textContent = n.id;
    const track = document.createElement('span');
    track.className = 'bar-track';
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${(100 * n.connections) / most}%`;
    bar.style.background = colourOf(nodeOrder.indexOf(n.id));
    track.append(bar);
    const count = document.createElement('span');
    count.className = 'num';
    count.textContent = n.connections;
    row.append(name, track, count);
    return row;
  }));
}

function renderRooms(rooms) {
  $('rooms-empty').hidden = rooms.length > 0;
  $('rooms').tBodies[0].replaceChildren(...rooms.map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.room = r.room;
    const name = cell(tr, '');
    const link = document.createElement('button');
    link.type = 'button';
    link.className = 'link';
    link.textContent = r.room;
    link.title = r.users.join(', ');
    link.addEventListener('click', () => { $('lookup-room').value = r.room; lookup(); });
    name.append(link);
    cell(tr, String(r.members), 'num');
    cell(tr, String(r.users.length), 'num');
    return tr;
  }));
}

function renderCharts(series) {
  const ordered = [...series].sort((a, b) => nodeOrder.indexOf(a.id) - nodeOrder.indexOf(b.id));
  const coloured = nodeOrder.map((id) => ordered.find((s) => s.id === id) || { id, samples: [] });
  const now = Date.now();
  const span = spanOf(coloured, WINDOW_MS, now);
  $('charts-span').textContent = `Last ${Math.round(span / 60_000)} min`;
  draw($('chart-messages'), coloured, 'messages', span, now);
  draw($('chart-deliveries'), coloured, 'deliveries', span, now);
  draw($('chart-p99'), coloured, 'p99_ms', span, now);
  $('legend').replaceChildren(...ordered.map((s) => {
    const li = document.createElement('li');
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.style.background = colourOf(nodeOrder.indexOf(s.id));
    li.append(dot, s.id);
    return li;
  }));
}

// ---- room lookup and disconnect -------------------------------------------------

async function lookup(e) {
  e?.preventDefault();
  const room = $('lookup-room').value.trim();
  $('lookup-error').textContent = '';
  if (!room) return;
  const r = encodeURIComponent(room);
  try {
    const [presence, page] = await Promise.all([
      call('GET', `/api/rooms/${r}/presence`), call('GET', `/api/rooms/${r}/history?limit=20`)]);
    $('presence-count').textContent = `(${presence.users.length})`;
    $('presence').replaceChildren(...presence.users.map((u) => {
      const li = document.createElement('li');
      li.textContent = u;
      return li;
    }));
    $('messages').replaceChildren(...page.messages.map((m) => {
      const li = document.createElement('li');
      const meta = document.createElement('span');
      meta.className = 'muted';
      meta.textContent = `${new Date(m.ts).toLocaleTimeString()} ${m.user}: `;
      li.append(meta, m.text ?? '', m.data === undefined ? '' : ` ${JSON.stringify(m.data)}`);
      return li;
    }));
    if (page.messages.length === 0) $('messages').replaceChildren(Object.assign(document.createElement('li'), { className: 'muted', textContent: 'no messages' }));
    $('lookup-result').hidden = false;
  } catch (err) {
    if (err instanceof Unauthorized) return signOut('The key is no longer accepted; sign in again.');
    $('lookup-result').hidden = true;
    $('lookup-error').textContent = err.message === 'bad_room' ? `"${room}" is not a valid room name.` : `Lookup failed: ${err.message}`;
  }
}

function askKick(e) {
  e.preventDefault();
  const user = $('kick-user').value.trim();
  if (!user) return;
  const room = $('kick-room').value.trim();
  $('kick-question').textContent = `Close every socket of ${user} ${room ? `in ${room}` : 'in every room'}, on every node?`;
  $('kick-confirm').hidden = false;
  $('kick-result').textContent = '';
  $('kick-yes').focus();
}

async function kick() {
  $('kick-confirm').hidden = true;
  const user = $('kick-user').value.trim();
  const room = $('kick-room').value.trim();
  const reason = $('kick-reason').value;
  try {
    await call('POST', `/api/users/${encodeURIComponent(user)}/disconnect`, { room, reason });
    $('kick-result').textContent = `${user}'s sockets are being closed (4003).`;
    $('kick-result').className = 'ok';
    refresh();
    if (!$('lookup-result').hidden) setTimeout(lookup, 500); // presence without them, once their sockets are closed
  } catch (err) {
    if (err instanceof Unauthorized) return signOut('The key is no longer accepted; sign in again.');
    $('kick-result').textContent = `Not done: ${err.message}`;
    $('kick-result').className = 'error';
  }
}

// ---- start ----------------------------------------------------------------

$('login').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', () => signOut());
$('lookup').addEventListener('submit', lookup);
$('kick').addEventListener('submit', askKick);
$('kick-yes').addEventListener('click', kick);
$('kick-no').addEventListener('click', () => { $('kick-confirm').hidden = true; });
if (sessionStorage.getItem(KEY)) show(); else $('key').focus();
