// rt.js: the JavaScript client of rt (docs/protocol.md), an ES module with no
// build step and no dependencies. It keeps one WebSocket at <url>/ws, joins
// rooms on it with room.join, and takes care of the protocol's chores:
// reconnecting with backoff, resuming every room from the last message seen,
// dropping duplicates, folding presence, refreshing the token before it
// expires, answering pings, and pacing what it sends under the rate limit.
//
//   import { Client } from "/client.js";
//   const client = new Client({ getToken: async () => fetchToken() });
//   const room = client.room("lobby");
//   room.on("message", (m) => show(m));
//   client.connect();
//   await room.join();
//   await room.publish("hi");

// RtError is a refusal: the server's system.error code, or the library's
// own (queue_full, disconnected, timeout, not_joined).
export class RtError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = "RtError";
    this.code = code;
  }
}

// UnauthorizedError, thrown by getToken, says no token will come: the client
// stops instead of retrying.
export class UnauthorizedError extends Error {
  constructor(message = "unauthorized") {
    super(message);
    this.name = "UnauthorizedError";
  }
}

// The server allows 20 frames/s with a burst of 40 per socket; staying well
// under it lets a rejoin of 100 rooms go through without rate_limited.
const BUCKET_BURST = 30;
const BUCKET_RATE = 15; // frames per second

// How long after a join presence is listed again: past the server's presence
// window (200 ms), on any node (see #listPresence).
const PRESENCE_SETTLE = 1000;

// Closes after which the client does not reconnect by itself: flooding
// (1008), and the backend disconnecting the user on purpose (4003).
const FINAL_CLOSES = new Set([1008, 4003]);

// Refusals of a rejoin that a later attempt may not get.
const TRANSIENT = new Set(["unavailable", "rate_limited"]);

// Emitter is the on/off/emit of Client and Room. A listener that throws is
// reported and skipped: it never breaks the client.
class Emitter {
  #listeners = new Map();

  on(event, fn) {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event).add(fn);
    return () => this.off(event, fn);
  }

  off(event, fn) {
    this.#listeners.get(event)?.delete(fn);
  }

  _emit(event, arg, more) {
    for (const fn of [...(this.#listeners.get(event) ?? [])]) {
      try {
        fn(arg, more);
      } catch (err) {
        console.error(`rt: a "${event}" listener threw`, err);
      }
    }
  }
}

// withContent adds a frame's text and data, each when it has one, to m.
function withContent(m, f) {
  if (f.text !== undefined) m.text = f.text;
  if (f.data !== undefined) m.data = f.data;
  return m;
}

// What the app sees of a chat.delivery, and of a user.message.
const message = (f) => withContent({ room: f.room, id: f.id, user: f.user, ts: f.ts }, f);
const userMessage = (f) => withContent({ user: f.user, id: f.id, ts: f.ts }, f);

// tokenExpiry is a JWT's exp in Unix ms (0: none), read without verifying:
// only the server can verify; the client just needs to know when to refresh.
function tokenExpiry(jwt) {
  try {
    // atob takes base64 without padding, but not base64url's alphabet.
    const exp = JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).exp;
    return typeof exp === "number" ? exp * 1000 : 0;
  } catch {
    return 0;
  }
}

// refreshDelay is when to refresh a token that expires in remaining ms: a
// quarter of its life early, at most 30 s early.
const refreshDelay = (remaining) => Math.max(0, remaining - Math.min(30_000, remaining / 4));

const defaultURL = () => (typeof location === "undefined" ? "" : location.origin);

export class Room extends Emitter {
  #users = [];

  constructor(client, name) {
    super();
    this.client = client;
    this.name = name;
    this.position = ""; // the greatest message id seen here: the `since` of a rejoin
    this._wanted = false; // joined by the app, not left
    this._joined = false; // joined on the current socket
    this._joinRef = null; // ref of the room.join in flight
    this._interrupted = false; // was joined when a socket dropped: a rejoin may have missed messages
    this._joinWaiters = []; // join() promises waiting for room.joined
    this._leaveWaiters = new Map(); // ref -> resolve of a leave()
    this._queue = []; // publishes waiting for the room to be joined
  }

  /** The users present, sorted. */
  get users() {
    return [...this.#users];
  }

  join() {
    if (this._wanted && this._joined) return Promise.resolve();
    const done = new Promise((resolve, reject) => this._joinWaiters.push({ resolve, reject }));
    if (!this._wanted) {
      this._wanted = true;
      this.client._sendJoin(this); // or on connect
    }
    return done;
  }

  leave() {
    if (!this._wanted) return Promise.resolve();
    const onServer = this._joined || this._joinRef !== null;
    this._drop(new RtError("not_joined", "the room was left"));
    this.position = ""; // a later join() starts afresh, as the Go client's does
    if (!onServer || !this.client._isOpen()) return Promise.resolve();
    const ref = this.client._ref();
    return new Promise((resolve) => {
      this._leaveWaiters.set(ref, resolve);
      this.client._enqueue({ type: "room.leave", room: this.name, ref });
    });
  }

  publish(arg) {
    const frame = withContent({ type: "chat.message", room: this.name }, typeof arg === "string" ? { text: arg } : arg ?? {});
    return this.client._publish(this, frame);
  }

  signal(data) {
    if (!this._joined || !this.client._isOpen()) return false; // passing state: not worth queueing
    this.client._enqueue({ type: "room.signal", room: this.name, data });
    return true;
  }

  async history({ before, limit } = {}) {
    if (!this._wanted) throw new RtError("not_joined", "join the room first");
    if (this.client.state === "disconnected") throw new RtError("disconnected", "not connected");
    if (!this._joined) await this.join();
    const frame = { type: "history.get", room: this.name };
    if (before) frame.before = before;
    if (limit) frame.limit = limit;
    const page = await this.client._request(frame);
    return { messages: (page.messages ?? []).map(message), more: !!page.more };
  }

  // _drop forgets the room: no longer wanted, and whatever waited for it is
  // refused with err.
  _drop(err) {
    this.#users = [];
    this._wanted = this._joined = this._interrupted = false;
    this._joinRef = null;
    for (const w of this._joinWaiters.splice(0)) w.reject(err);
    for (const p of this._queue.splice(0)) p.reject(err);
  }

  // _presence folds a presence frame into the users, and tells the app when
  // they changed.
  _presence(f) {
    let next = new Set(f.type === "presence.state" ? f.users : this.#users);
    if (f.type === "presence.join") next.add(f.user);
    if (f.type === "presence.leave") next.delete(f.user);
    if (f.type === "presence.diff") {
      (f.leaves ?? []).forEach((u) => next.delete(u));
      (f.joins ?? []).forEach((u) => next.add(u));
    }
    next = [...next].sort();
    const before = new Set(this.#users);
    const joins = next.filter((u) => !before.has(u));
    const leaves = this.#users.filter((u) => !next.includes(u));
    const listed = f.type === "presence.state";
    if (!listed && !joins.length && !leaves.length) return; // a list is told even when it changes nothing
    this.#users = next;
    // listed: the change came from a presence.state answer (the list the
    // client asks for after each join), not from a live announcement, so
    // an app does not show "bob joined" for someone who was there already.
    this._emit("presence", this.users, { joins, leaves, listed });
  }
}

export class Client extends Emitter {
  #opts;
  #rooms = new Map();
  #ws = null;
  #gen = 0; // bumped by every socket and by a stop: a stale callback sees it changed
  #attempt = 0; // reconnect attempts since a connection last worked
  #lastClose = 0; // code of the close that caused the reconnect under way
  #everOpened = false; // since connect(): later opens are reconnects
  #timers = new Set(); // pending timers of the current socket (refresh, pacing, acks, presence)
  #retryTimer = null;
  #pending = new Map(); // ref -> request or publish waiting for its answer
  #nextRef = 0;
  #outbox = []; // frames waiting for the token bucket: {frame, item}
  #lists = new Set(); // rooms whose presence.list waits until the outbox is empty
  #tokens = BUCKET_BURST;
  #refilled = 0;
  #pumping = false;
  #heard = 0; // Date.now() of the socket's last frame: the silence watchdog reads it

  constructor(opts = {}) {
    super();
    this.#opts = { url: defaultURL(), minDelay: 500, maxDelay: 20_000, publishQueue: 100, ackTimeout: 10_000, maxSilence: 60_000, ...opts };
    if (typeof this.#opts.getToken !== "function") throw new TypeError("rt: getToken is required");
    this.state = "disconnected";
    this.code = 0;
    this.reason = "";
    this.stats = { duplicates: 0, reconnects: 0 };
  }

  /** room returns the same Room for the same name. */
  room(name) {
    if (!this.#rooms.has(name)) this.#rooms.set(name, new Room(this, name));
    return this.#rooms.get(name);
  }

  connect() {
    if (this.state !== "disconnected") return;
    this.#attempt = this.#lastClose = 0;
    this.#everOpened = false;
    this.#setState("connecting", 0, "");
    this.#open();
  }

  disconnect() {
    if (this.state !== "disconnected") this.#stop(1000, "disconnect");
  }

  // ---- connection -----------------------------------------------------------

  async #open() {
    const gen = ++this.#gen;
    let token;
    try {
      token = await this.#opts.getToken();
    } catch (err) {
      if (gen !== this.#gen) return;
      if (err?.name === "UnauthorizedError") return this.#unauthorized();
      this._emit("error", err);
      return this.#retry(); // a token service that is down is like a server that is down
    }
    if (gen !== this.#gen) return; // disconnect() while waiting
    // After a 4001, a token that has expired too is no new token.
    const exp = token && tokenExpiry(token);
    if (!token || (this.#lastClose === 4001 && exp && exp <= Date.now())) return this.#unauthorized();
    let ws;
    try {
      const base = this.#opts.url.replace(/^http/, "ws").replace(/\/+$/, "");
      const url = `${base}/ws?token=${encodeURIComponent(token)}`;
      // Outside a browser nothing sends Origin, which rt requires; Node's
      // WebSocket (undici) takes headers in a second argument browsers lack.
      const origin = this.#opts.origin;
      ws = this.#ws = origin ? new WebSocket(url, { headers: { Origin: origin } }) : new WebSocket(url);
    } catch (err) {
      this._emit("error", err); // a malformed url: no retry mends it
      return this.#stop(0, "bad url");
    }
    ws.onopen = () => gen === this.#gen && this.#opened(token);
    ws.onmessage = (ev) => {
      if (gen !== this.#gen) return;
      this.#attempt = 0; // the connection works: the next outage starts a fresh backoff
      this.#heard = Date.now();
      this.#frame(ev.data);
    };
    ws.onclose = (ev) => gen === this.#gen && this.#closed(ev.code, ev.reason);
  }

  // #unauthorized stops for good: no token will come.
  #unauthorized() {
    this.#stop(this.#lastClose === 4001 ? 4001 : 0, "unauthorized");
  }

  #opened(token) {
    if (this.#everOpened) this.stats.reconnects++;
    this.#everOpened = true;
    this.#tokens = BUCKET_BURST; // the new socket has a fresh bucket on the server too
    this.#refilled = Date.now();
    this.#setState("connected", 0, "");
    this.#heard = Date.now();
    this.#watch();
    this.#scheduleRefresh(tokenExpiry(token));
    for (const room of this.#rooms.values()) if (room._wanted) this._sendJoin(room);
  }

  #closed(code, reason) {
    this.#teardown(new RtError("disconnected", "the connection dropped"));
    if (FINAL_CLOSES.has(code)) return this.#stop(code, reason);
    this.#lastClose = code;
    const gen = this.#gen;
    this.#setState("connecting", code, reason);
    if (gen === this.#gen) this.#retry(); // a listener may have called disconnect()
  }

  // #watch drops a socket that has carried nothing for maxSilence ms: the
  // server sends system.ping every HEARTBEAT_INTERVAL (25 s by default), so
  // such a socket is dead even when the browser has not noticed (a network
  // path can vanish without a close, for minutes). The timer re-arms for
  // what is left instead of being reset by every frame.
  #watch() {
    const max = this.#opts.maxSilence;
    if (!max) return;
    const left = this.#heard + max - Date.now();
    if (left > 0) return void this.#later(left, () => this.#watch());
    this.#closed(1006, `no frame from the server for ${Math.round(max / 1000)} s`);
  }

  // #retry reconnects after a full-jitter backoff.
  #retry() {
    const cap = Math.min(this.#opts.maxDelay, this.#opts.minDelay * 2 ** this.#attempt++);
    this.#retryTimer = setTimeout(() => this.#open(), Math.random() * cap);
  }

  // #later runs fn after ms unless the socket is gone by then.
  #later(ms, fn) {
    const gen = this.#gen;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (gen === this.#gen) fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  // #teardown forgets the socket. What was sent and not answered is refused
  // with err: it may or may not have been carried out, and is never resent.
  // A publish that only waited in the outbox goes back to its room's queue.
  #teardown(err) {
    if (this.#ws) {
      this.#ws.onopen = this.#ws.onmessage = this.#ws.onclose = null;
      if (this.#ws.readyState < 2) this.#ws.close(1000);
      this.#ws = null;
    }
    this.#timers.forEach(clearTimeout);
    this.#timers.clear();
    this.#pumping = false;
    this.#lists.clear();
    for (const { item } of this.#outbox.splice(0).reverse()) {
      if (!item?.room) continue; // a request: refused below with the rest
      this.#pending.delete(item.ref);
      item.room._queue.unshift(item);
    }
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    for (const room of this.#rooms.values()) {
      if (room._joined) room._interrupted = true;
      room._joined = false;
      room._joinRef = null;
      room._leaveWaiters.forEach((resolve) => resolve()); // no socket, no room
      room._leaveWaiters.clear();
    }
  }

  #stop(code, reason) {
    this.#gen++;
    clearTimeout(this.#retryTimer);
    const err = new RtError("disconnected", "the client is disconnected");
    this.#teardown(err);
    for (const room of this.#rooms.values()) {
      for (const p of room._queue.splice(0)) p.reject(err);
      for (const w of room._joinWaiters.splice(0)) w.reject(err);
    }
    this.#setState("disconnected", code, reason);
  }

  #setState(state, code, reason) {
    const changed = state !== this.state;
    Object.assign(this, { state, code, reason });
    if (!changed) return; // another failed attempt while connecting: no transition
    this._emit("state", { state, code, reason });
    this._emit(state, { code, reason });
  }

  // ---- token refresh --------------------------------------------------------

  #scheduleRefresh(exp) {
    if (exp) this.#later(refreshDelay(exp - Date.now()), () => this.#refresh(exp)); // no exp: never expires
  }

  // #refresh sends a new token before exp. If none comes, the server closes
  // with 4001 at exp and the reconnect asks getToken again; a passing failure
  // is retried while there is time.
  async #refresh(exp) {
    const gen = this.#gen;
    try {
      const token = await this.#opts.getToken();
      if (!token) throw new UnauthorizedError();
      if (gen !== this.#gen) return;
      // The same token, or one that expires no later, is no refresh: sending
      // it would only be scheduled again and again before the same exp. The
      // server closes with 4001 at exp and the reconnect asks once more.
      const next = tokenExpiry(token); // 0: no exp, a token that never expires
      if (next && next <= exp) return;
      const ok = await this._request({ type: "auth.refresh", token });
      if (gen === this.#gen) this.#scheduleRefresh(ok.exp || tokenExpiry(token));
    } catch (err) {
      if (gen !== this.#gen) return;
      this._emit("error", err); // token_invalid included: 4001 follows at exp
      const left = exp - Date.now();
      if (err?.name !== "UnauthorizedError" && !(err instanceof RtError) && left > 1000) {
        this.#later(Math.max(1000, refreshDelay(left)), () => this.#refresh(exp));
      }
    }
  }

  // ---- sending --------------------------------------------------------------

  _isOpen() {
    return this.#ws?.readyState === 1 && this.state === "connected";
  }

  _ref() {
    return String(++this.#nextRef);
  }

  _sendJoin(room) {
    if (!this._isOpen()) return;
    room._joinRef = this._ref();
    const frame = { type: "room.join", room: room.name, ref: room._joinRef };
    if (room.position) frame.since = room.position;
    this._enqueue(frame);
    this.#awaitJoined(room, frame);
  }

  // #awaitJoined sends a join again when no answer came within ackTimeout of
  // its sending: the server drops a frame over its rate limit and answers
  // rate_limited without the frame's ref. A second join of a joined room is
  // answered room.joined and changes nothing.
  #awaitJoined(room, frame) {
    this.#later(this.#opts.ackTimeout, () => {
      if (room._joinRef !== frame.ref || !room._wanted) return; // answered, or left
      if (this.#outbox.some((o) => o.frame === frame)) return this.#awaitJoined(room, frame); // not sent yet
      this._sendJoin(room);
    });
  }

  // _enqueue sends a frame through the token bucket; item is the request or
  // publish it carries, if any.
  _enqueue(frame, item) {
    if (!this._isOpen()) return;
    this.#outbox.push({ frame, item });
    this.#pump();
  }

  // #pump sends what the bucket allows: the outbox first, in order, then the
  // presence lists, so that a rejoin of many rooms delays no message.
  #pump() {
    const now = Date.now();
    this.#tokens = Math.min(BUCKET_BURST, this.#tokens + ((now - this.#refilled) / 1000) * BUCKET_RATE);
    this.#refilled = now;
    while ((this.#outbox.length || this.#lists.size) && this.#tokens >= 1) {
      if (!this.#outbox.length) {
        const room = this.#lists.values().next().value;
        this.#lists.delete(room);
        if (room._joined) this.#outbox.push({ frame: { type: "presence.list", room: room.name, ref: this._ref() } });
        continue;
      }
      this.#tokens--;
      const { frame, item } = this.#outbox.shift();
      this.#ws.send(JSON.stringify(frame));
      if (item) item.timer = this.#later(this.#opts.ackTimeout, () => this.#timeout(item.ref));
    }
    if ((this.#outbox.length || this.#lists.size) && !this.#pumping) {
      this.#pumping = true;
      this.#later(Math.ceil(((1 - this.#tokens) / BUCKET_RATE) * 1000), () => {
        this.#pumping = false;
        this.#pump();
      });
    }
  }

  // _request sends a frame with a fresh ref and resolves with its answer.
  _request(frame) {
    if (!this._isOpen()) return Promise.reject(new RtError("disconnected", "not connected"));
    return new Promise((resolve, reject) => {
      const item = { resolve, reject, ref: this._ref() };
      this.#pending.set(item.ref, item);
      this._enqueue({ ...frame, ref: item.ref }, item);
    });
  }

  _publish(room, frame) {
    if (!room._wanted) return Promise.reject(new RtError("not_joined", "join the room first"));
    return new Promise((resolve, reject) => {
      const item = { room, frame, resolve, reject };
      if (room._joined && this._isOpen() && room._queue.length === 0) return this.#sendPublish(item);
      let queued = 0;
      for (const r of this.#rooms.values()) queued += r._queue.length;
      if (queued >= this.#opts.publishQueue) return reject(new RtError("queue_full", "too many messages waiting"));
      room._queue.push(item);
    });
  }

  // #sendPublish sends a publish under a fresh ref: one that went back to the
  // queue unsent gets a new one on the next socket.
  #sendPublish(item) {
    item.ref = this._ref();
    this.#pending.set(item.ref, item);
    this._enqueue({ ...item.frame, ref: item.ref }, item);
  }

  // ---- receiving ------------------------------------------------------------

  #frame(raw) {
    let f;
    try {
      f = JSON.parse(raw);
    } catch {
      return; // the server sends only JSON
    }
    if (f.type === "system.ping") return this.#ws.send('{"type":"system.pong"}'); // never paced
    if (f.type === "user.message") return this._emit("message", userMessage(f));
    if (f.type === "system.error") return this.#error(f);
    if (f.ref !== undefined && this.#answer(f)) return;
    const room = this.#rooms.get(f.room);
    if (!room) return;
    if (f.type === "room.left") return this.#left(room, f);
    if (room._wanted) this.#roomFrame(room, f); // else being left: its last frames do not matter
  }

  // #take removes and returns the request waiting for ref, if any.
  #take(ref) {
    const p = this.#pending.get(ref);
    this.#pending.delete(ref);
    if (p?.timer) {
      clearTimeout(p.timer);
      this.#timers.delete(p.timer);
    }
    return p;
  }

  #timeout(ref) {
    this.#take(ref)?.reject(new RtError("timeout", "no answer in time"));
  }

  // #answer settles the request f answers, if any; true when it did.
  #answer(f) {
    const p = this.#take(f.ref);
    if (f.type === "chat.ack") p?.resolve({ id: f.id, ts: f.ts });
    else p?.resolve(f);
    return p !== undefined;
  }

  #error(f) {
    const err = new RtError(f.code, f.message);
    const p = this.#take(f.ref);
    if (p) return p.reject(err);
    const rooms = [...this.#rooms.values()];
    const leaving = rooms.find((r) => r._leaveWaiters.has(f.ref));
    if (leaving) {
      leaving._leaveWaiters.get(f.ref)(); // not_joined: the server had let the room go already
      return leaving._leaveWaiters.delete(f.ref);
    }
    const room = rooms.find((r) => r._joinRef !== null && r._joinRef === f.ref);
    if (!room) return this._emit("error", err);
    const waited = room._joinWaiters.length > 0;
    room._joinRef = null;
    // A since the server cannot read (history was reset, say): join afresh,
    // and the rejoin reports recovered complete:false (no position).
    if (f.code === "bad_since") {
      room.position = "";
      room._interrupted = true;
      return this._sendJoin(room);
    }
    // A rejoin refused for a passing reason is tried again; a join() the
    // app waits for is answered, and the app decides.
    if (!waited && TRANSIENT.has(f.code)) {
      return void this.#later(1000 + Math.random() * 2000, () => room._wanted && !room._joined && this._sendJoin(room));
    }
    // Otherwise the room cannot be had. A rejoin nobody waits for is
    // reported as a left event.
    room._drop(err);
    if (!waited) room._emit("left", { reason: f.code });
  }

  #roomFrame(room, f) {
    switch (f.type) {
      case "room.joined": return this.#joined(room, f);
      case "chat.delivery": return this.#delivery(room, f);
      case "history.recovered": return room._emit("recovered", { count: f.count, complete: f.complete });
      case "room.signal": return room._emit("signal", { room: f.room, user: f.user, data: f.data, ts: f.ts });
      case "presence.state": case "presence.join": case "presence.leave": case "presence.diff":
        return room._presence(f);
    }
  }

  #joined(room, f) {
    if (f.ref !== room._joinRef) return; // a stale answer to a join since left
    const rejoin = room._interrupted;
    room._joinRef = null;
    room._joined = true;
    room._interrupted = false;
    this.#listPresence(room);
    for (const w of room._joinWaiters.splice(0)) w.resolve();
    room._emit("joined");
    // Rejoined without `since`: what was posted while away cannot be
    // replayed; the app may reload it with history().
    if (rejoin && !room.position) room._emit("recovered", { count: 0, complete: false });
    for (const item of room._queue.splice(0)) this.#sendPublish(item);
  }

  // #listPresence asks who is in the room, and asks again once the server's
  // presence window is over: a user who joins and leaves within one window
  // is never announced, yet an answer read inside it lists them.
  #listPresence(room) {
    const list = () => {
      this.#lists.add(room);
      this.#pump();
    };
    list();
    this.#later(PRESENCE_SETTLE, list);
  }

  #left(room, f) {
    const resolve = room._leaveWaiters.get(f.ref);
    room._leaveWaiters.delete(f.ref);
    if (resolve) return resolve();
    if (f.reason === "left") return;
    // The server took the room away (forbidden, disconnected): not rejoined.
    room._drop(new RtError("not_joined", `the room was taken away (${f.reason})`));
    room._emit("left", { reason: f.reason });
  }

  #delivery(room, f) {
    if (room.position && f.id <= room.position) {
      this.stats.duplicates++; // a replay overlapping what was seen
      return;
    }
    room.position = f.id;
    room._emit("message", message(f));
  }
}
