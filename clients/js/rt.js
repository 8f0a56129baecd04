// rt.js: the JavaScript client of rt (docs/protocol.md), an ES module with no
// build step and no dependencies. It keeps one WebSocket at <url>/ws, joins
// rooms on it with room.join, and hides the protocol's chores: reconnecting
// with backoff, resuming every room from the last message seen, dropping
// duplicates, folding presence, refreshing the token before it expires,
// answering pings and pacing what it sends under the server's rate limit.
//
//   import { Client } from "/client.js";
//   const client = new Client({ getToken: async () => fetchToken() });
//   const room = client.room("lobby");
//   room.on("message", (m) => show(m));
//   client.connect();
//   await room.join();
//   await room.publish("hi");

// RtError is a refusal from the server (its system.error code) or from the
// library itself (queue_full, disconnected, timeout, not_joined).
export class RtError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = "RtError";
    this.code = code;
  }
}

// UnauthorizedError, thrown by getToken, tells the client that no token will
// come: it stops instead of retrying.
export class UnauthorizedError extends Error {
  constructor(message = "unauthorized") {
    super(message);
    this.name = "UnauthorizedError";
  }
}

// The server's frame rate limit is 20/s with a burst of 40 per socket; the
// client stays well under it so that a rejoin of 100 rooms is never refused.
const BUCKET_BURST = 30;
const BUCKET_RATE = 15; // frames per second

// How long after a join the presence list is read again: well past the
// server's presence window (200 ms), on any node.
const PRESENCE_SETTLE = 1000;

// Closes after which the client does not reconnect by itself: a policy
// violation (flooding), and the backend disconnecting the user on purpose.
const FINAL_CLOSES = new Set([1008, 4003]);

// Emitter is the on/off/emit shared by Client and Room. A listener that
// throws is reported and skipped: it never breaks the client.
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

  _emit(event, arg) {
    for (const fn of [...(this.#listeners.get(event) ?? [])]) {
      try {
        fn(arg);
      } catch (err) {
        console.error(`rt: a "${event}" listener threw`, err);
      }
    }
  }
}

// message turns a chat.delivery frame into what the app sees.
function message(f) {
  const m = { room: f.room, id: f.id, user: f.user, ts: f.ts };
  if (f.text !== undefined) m.text = f.text;
  if (f.data !== undefined) m.data = f.data;
  return m;
}

// tokenExpiry reads a JWT's exp (Unix seconds) without verifying it: only the
// server can, the client just needs to know when to ask for a new one.
function tokenExpiry(jwt) {
  try {
    const b64 = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const exp = JSON.parse(atob(b64.padEnd(b64.length + ((4 - (b64.length % 4)) % 4), "="))).exp;
    return typeof exp === "number" ? exp * 1000 : 0;
  } catch {
    return 0;
  }
}

// refreshDelay is when to refresh a token that expires in remaining ms: a
// quarter of its life early, at most 30 s early.
function refreshDelay(remaining) {
  return Math.max(0, remaining - Math.min(30_000, remaining / 4));
}

function defaultURL() {
  return typeof location === "undefined" ? "" : location.origin.replace(/^http/, "ws");
}

export class Room extends Emitter {
  #users = [];

  constructor(client, name) {
    super();
    this.client = client;
    this.name = name;
    this.position = ""; // greatest message id seen here: the `since` of a rejoin
    this._wanted = false; // the app joined and has not left
    this._joined = false; // joined on the current socket
    this._joinRef = null; // ref of the room.join in flight
    this._interrupted = false; // was joined when a socket dropped: the rejoin may have missed messages
    this._joinWaiters = []; // join() promises waiting for room.joined
    this._leaveWaiters = new Map(); // ref -> resolve of leave()
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
      this.client._sendJoin(this);
    }
    return done;
  }

  leave() {
    if (!this._wanted) return Promise.resolve();
    const onServer = this._joined || this._joinRef !== null;
    this._drop(new RtError("not_joined", "the room was left"));
    if (!onServer || !this.client._isOpen()) return Promise.resolve();
    const ref = this.client._ref();
    return new Promise((resolve) => {
      this._leaveWaiters.set(ref, resolve);
      this.client._enqueue({ type: "room.leave", room: this.name, ref });
    });
  }

  publish(arg) {
    const body = typeof arg === "string" ? { text: arg } : { text: arg?.text, data: arg?.data };
    const frame = { type: "chat.message", room: this.name };
    if (body.text !== undefined) frame.text = body.text;
    if (body.data !== undefined) frame.data = body.data;
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
    return { messages: page.messages.map(message), more: page.more };
  }

  // _drop forgets the room: it is no longer wanted, and whatever waited for
  // it is refused with err.
  _drop(err) {
    this.#users = [];
    this._interrupted = false;
    this._wanted = false;
    this._joined = false;
    this._joinRef = null;
    for (const w of this._joinWaiters.splice(0)) w.reject(err);
    for (const p of this._queue.splice(0)) p.reject(err);
  }

  _setUsers(users) {
    const next = [...new Set(users)].sort();
    if (next.join("\n") === this.#users.join("\n")) return; // a re-list that changed nothing
    this.#users = next;
    this._emit("presence", this.users);
  }

  _presence(f) {
    const set = new Set(this.#users);
    switch (f.type) {
      case "presence.state": return this._setUsers(f.users);
      case "presence.join": set.add(f.user); break;
      case "presence.leave": set.delete(f.user); break;
      case "presence.diff":
        (f.leaves ?? []).forEach((u) => set.delete(u));
        (f.joins ?? []).forEach((u) => set.add(u));
        break;
    }
    this._setUsers([...set]);
  }
}

export class Client extends Emitter {
  #opts;
  #rooms = new Map();
  #ws = null;
  #gen = 0; // bumped by every new socket and by disconnect(): stale callbacks check it
  #attempt = 0; // reconnect attempts since a connection last worked
  #lastClose = 0; // code of the close that caused the reconnect under way
  #everOpened = false; // since connect(): later opens are reconnects
  #retryTimer = null;
  #refreshTimer = null;
  #pending = new Map(); // ref -> request or publish waiting for its answer
  #nextRef = 0;
  #outbox = []; // frames waiting for the token bucket
  #tokens = BUCKET_BURST;
  #refilled = 0;
  #pumpTimer = null;
  #settles = new Set(); // timers of the second presence.list after a join

  constructor(opts = {}) {
    super();
    this.#opts = {
      url: defaultURL(),
      minDelay: 500,
      maxDelay: 20_000,
      publishQueue: 100,
      ackTimeout: 10_000,
      ...opts,
    };
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
    this.#attempt = 0;
    this.#lastClose = 0;
    this.#everOpened = false;
    this.#setState("connecting", 0, "");
    this.#open();
  }

  disconnect() {
    if (this.state === "disconnected") return;
    this.#stop(1000, "disconnect");
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
    if (!token) return this.#unauthorized();
    const base = this.#opts.url.replace(/\/+$/, "");
    let ws;
    try {
      ws = new WebSocket(`${base}/ws?token=${encodeURIComponent(token)}`);
    } catch (err) {
      this._emit("error", err); // a malformed url: no retry can mend it
      return this.#stop(0, "bad url");
    }
    this.#ws = ws;
    let gotFrame = false;
    ws.onopen = () => gen === this.#gen && this.#opened(token);
    ws.onmessage = (ev) => {
      if (gen !== this.#gen) return;
      if (!gotFrame) {
        gotFrame = true;
        this.#attempt = 0; // the connection works: the next outage starts a fresh backoff
      }
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
    this.#tokens = BUCKET_BURST; // a new socket has a fresh server-side bucket too
    this.#refilled = Date.now();
    this.#setState("connected", 0, "");
    this.#scheduleRefresh(tokenExpiry(token));
    for (const room of this.#rooms.values()) if (room._wanted) this._sendJoin(room);
  }

  #closed(code, reason) {
    this.#teardown(new RtError("disconnected", "the connection dropped"));
    if (FINAL_CLOSES.has(code)) return this.#stop(code, reason);
    this.#lastClose = code;
    this.#setState("connecting", code, reason);
    this.#retry();
  }

  // #retry reconnects after a full-jitter backoff.
  #retry() {
    const cap = Math.min(this.#opts.maxDelay, this.#opts.minDelay * 2 ** this.#attempt++);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#open(), Math.random() * cap);
  }

  // #teardown forgets the socket: what was sent and not answered is refused
  // with err (it may or may not have been carried out; never resent), what
  // was only waiting in the outbox goes back to its room's queue.
  #teardown(err) {
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      if (ws.readyState < 2) ws.close(1000);
    }
    clearTimeout(this.#refreshTimer);
    clearTimeout(this.#pumpTimer);
    this.#pumpTimer = null;
    this.#settles.forEach(clearTimeout);
    this.#settles.clear();
    for (const { item } of this.#outbox.splice(0).reverse()) {
      if (!item?.room) continue; // refused below with the rest
      this.#pending.delete(item.ref); // never written: safe to send on the next socket
      item.room._queue.unshift(item);
    }
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
    for (const room of this.#rooms.values()) {
      if (room._joined) room._interrupted = true;
      room._joined = false;
      room._joinRef = null;
      for (const resolve of room._leaveWaiters.values()) resolve(); // no socket, no room
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
    this.state = state;
    this.code = code;
    this.reason = reason;
    if (!changed) return; // another failed attempt while connecting: not a transition
    this._emit("state", { state, code, reason });
    this._emit(state, { code, reason });
  }

  // ---- token refresh --------------------------------------------------------

  #scheduleRefresh(exp) {
    clearTimeout(this.#refreshTimer);
    if (!exp) return; // a token without exp never expires
    const gen = this.#gen;
    this.#refreshTimer = setTimeout(() => gen === this.#gen && this.#refresh(exp),
      refreshDelay(exp - Date.now()));
  }

  async #refresh(exp) {
    const gen = this.#gen;
    let token;
    try {
      token = await this.#opts.getToken();
      if (!token) throw new UnauthorizedError();
    } catch (err) {
      if (gen !== this.#gen) return;
      this._emit("error", err);
      // Unauthorized: the server closes with 4001 at exp and the reconnect
      // decides. Anything else may pass: try again in a while, before exp.
      if (err?.name !== "UnauthorizedError" && exp - Date.now() > 1000) {
        this.#refreshTimer = setTimeout(() => gen === this.#gen && this.#refresh(exp),
          Math.max(1000, refreshDelay(exp - Date.now())));
      }
      return;
    }
    if (gen !== this.#gen) return;
    try {
      const ok = await this._request({ type: "auth.refresh", token });
      if (gen === this.#gen) this.#scheduleRefresh(ok.exp || tokenExpiry(token));
    } catch (err) {
      if (gen === this.#gen) this._emit("error", err); // token_invalid: 4001 will follow at exp
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
    if (!this._isOpen()) return; // joined on connect
    room._joinRef = this._ref();
    const frame = { type: "room.join", room: room.name, ref: room._joinRef };
    if (room.position) frame.since = room.position;
    this._enqueue(frame);
  }

  // _enqueue sends a frame through the token bucket; item is the publish it
  // carries, if any.
  _enqueue(frame, item) {
    if (!this._isOpen()) return;
    this.#outbox.push({ frame, item });
    this.#pump();
  }

  #pump() {
    const now = Date.now();
    this.#tokens = Math.min(BUCKET_BURST, this.#tokens + ((now - this.#refilled) / 1000) * BUCKET_RATE);
    this.#refilled = now;
    while (this.#outbox.length && this.#tokens >= 1) {
      this.#tokens--;
      const { frame, item } = this.#outbox.shift();
      this.#ws.send(JSON.stringify(frame));
      if (item) this.#written(item);
    }
    if (this.#outbox.length && !this.#pumpTimer) {
      const wait = Math.ceil(((1 - this.#tokens) / BUCKET_RATE) * 1000);
      this.#pumpTimer = setTimeout(() => {
        this.#pumpTimer = null;
        if (this._isOpen()) this.#pump();
      }, wait);
    }
  }

  // #written starts a sent frame's wait for its answer.
  #written(item) {
    item.written = true;
    item.timer = setTimeout(() => {
      if (this.#pending.get(item.ref) !== item) return;
      this.#pending.delete(item.ref);
      item.reject(new RtError("timeout", "no answer in time"));
    }, this.#opts.ackTimeout);
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

  #sendPublish(item) {
    item.ref = this._ref();
    item.written = false;
    this.#pending.set(item.ref, item);
    this._enqueue({ ...item.frame, ref: item.ref }, item);
  }

  // ---- receiving ------------------------------------------------------------

  #frame(raw) {
    let f;
    try {
      f = JSON.parse(raw);
    } catch {
      return; // the server sends only JSON; nothing to do with anything else
    }
    if (f.type === "system.ping") return this.#ws.send('{"type":"system.pong"}'); // never paced
    if (f.type === "user.message") return this._emit("message", userMessage(f));
    if (f.type === "system.error") return this.#error(f);
    if (f.ref !== undefined && this.#answer(f)) return;
    const room = this.#rooms.get(f.room);
    if (!room) return;
    if (f.type === "room.left") return this.#left(room, f);
    if (!room._wanted) return; // a room being left: its last frames do not matter
    this.#roomFrame(room, f);
  }

  // #answer settles the request f answers, if any; true when f is done with.
  #answer(f) {
    const p = this.#pending.get(f.ref);
    if (!p) return false;
    this.#pending.delete(f.ref);
    clearTimeout(p.timer);
    if (f.type === "chat.ack") p.resolve({ id: f.id, ts: f.ts });
    else if (f.type === "history.page") p.resolve({ messages: f.messages ?? [], more: !!f.more });
    else p.resolve(f);
    return true;
  }

  #error(f) {
    const err = new RtError(f.code, f.message);
    const p = f.ref !== undefined && this.#pending.get(f.ref);
    if (p) {
      this.#pending.delete(f.ref);
      clearTimeout(p.timer);
      return p.reject(err);
    }
    const room = [...this.#rooms.values()].find((r) => r._joinRef !== null && r._joinRef === f.ref);
    if (!room) return this._emit("error", err);
    // A refused join: the room cannot be had. A rejoin nobody waits for
    // tells the app through a left event.
    const waited = room._joinWaiters.length > 0;
    room._drop(err);
    if (!waited) room._emit("left", { reason: f.code });
  }

  #roomFrame(room, f) {
    switch (f.type) {
      case "room.joined": return this.#joined(room, f);
      case "chat.delivery": return this.#delivery(room, f);
      case "history.recovered": return room._emit("recovered", { count: f.count, complete: f.complete });
      case "room.signal": return room._emit("signal", { room: f.room, user: f.user, data: f.data, ts: f.ts });
      case "presence.state":
      case "presence.join":
      case "presence.leave":
      case "presence.diff":
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
    // Joined without `since`: whatever was posted while away is lost to this
    // room's stream; the app should reload it with history().
    if (rejoin && !room.position) room._emit("recovered", { count: 0, complete: false });
    for (const item of room._queue.splice(0)) this.#sendPublish(item);
  }

  // #listPresence asks who is in the room, and asks again once the server's
  // presence window (200 ms) is over: a user who joined and left within
  // that window is never announced, yet the first answer may list them.
  #listPresence(room) {
    this._enqueue({ type: "presence.list", room: room.name, ref: this._ref() });
    const gen = this.#gen;
    const timer = setTimeout(() => {
      this.#settles.delete(timer);
      if (gen === this.#gen && room._joined) this._enqueue({ type: "presence.list", room: room.name, ref: this._ref() });
    }, PRESENCE_SETTLE);
    this.#settles.add(timer);
  }

  #left(room, f) {
    const resolve = room._leaveWaiters.get(f.ref);
    if (resolve) {
      room._leaveWaiters.delete(f.ref);
      return resolve();
    }
    if (f.reason === "left") return;
    // The server took the room away (forbidden, disconnected): not rejoined.
    room._drop(new RtError("not_joined", `the room was taken away (${f.reason})`));
    room._emit("left", { reason: f.reason });
  }

  #delivery(room, f) {
    if (room.position && f.id <= room.position) {
      this.stats.duplicates++; // a replay overlapping what was already seen
      return;
    }
    room.position = f.id;
    room._emit("message", message(f));
  }
}

function userMessage(f) {
  const m = { user: f.user, id: f.id, ts: f.ts };
  if (f.text !== undefined) m.text = f.text;
  if (f.data !== undefined) m.data = f.data;
  return m;
}
