// A typed use of every part of rt.js's API. It is not shipped: the test
// e2e/browser/types.test.mjs type-checks it against rt.d.ts with
// `tsc --noEmit --strict`, so a declaration that drifts from the API (or
// turns into `any`, see the @ts-expect-error lines) fails the test.
import {
  Client, RtError, UnauthorizedError,
  type Ack, type CloseInfo, type HistoryPage, type Message, type Recovered, type Room, type Signal,
  type PresenceChange, type State, type StateEvent, type UserMessage,
} from "./rt.js";

async function fetchToken(): Promise<string | null> {
  const res = await fetch("/token");
  if (res.status === 401) throw new UnauthorizedError("signed out");
  return res.ok ? res.text() : null;
}

const client = new Client({
  url: "wss://rt.example.com",
  getToken: fetchToken,
  minDelay: 500,
  maxDelay: 20_000,
  publishQueue: 100,
  ackTimeout: 10_000,
  maxSilence: 60_000,
});
new Client({ getToken: () => "a.b.c" }); // every other option has a default
new Client({ url: "ws://127.0.0.1:8000", origin: "http://localhost:8000", getToken: () => Promise.resolve(null) }); // Node

const stopStates = client.on("state", ({ state, code, reason }: StateEvent) => {
  const s: State = state;
  console.log(s, code, reason);
});
stopStates();
client.on("connecting", ({ code, reason }: CloseInfo) => console.log("retrying after", code, reason));
client.on("connected", () => console.log("connected"));
client.on("disconnected", ({ code }) => {
  if (code === 4003) console.log("disconnected by the server:", client.reason);
});
client.on("message", (m: UserMessage) => console.log(m.user, m.id, m.ts, m.text ?? "", m.data));
const onError = (err: Error) => console.warn(err instanceof RtError ? err.code : err.message);
client.on("error", onError);
client.off("error", onError);

const state: State = client.state;
const dupes: number = client.stats.duplicates + client.stats.reconnects;
console.log(state, dupes, client.code);
client.connect();

const room: Room = client.room("lobby");
console.log(room === client.room("lobby"), room.name, room.position, room.client === client);
room.on("message", (m: Message) => console.log(m.room, m.id, m.user, m.ts, m.text?.length, m.data));
room.on("signal", (s: Signal) => console.log(s.room, s.user, s.data, s.ts));
room.on("presence", (users: string[]) => console.log(users.join(", ")));
room.on("presence", (_users, change: PresenceChange) => {
  if (!change.listed) change.joins.forEach((u: string) => console.log(`${u} joined`));
});
room.on("recovered", async ({ count, complete }: Recovered) => {
  if (!complete) {
    const page = await room.history({ limit: 50 });
    console.log(count, page.messages.length);
  }
});
room.on("left", ({ reason }) => console.log("left:", reason));
room.on("joined", () => console.log("joined"));

async function main(): Promise<void> {
  await room.join();
  const ack: Ack = await room.publish("hi");
  const { id, ts } = await room.publish({ text: "move", data: { from: "e2", to: "e4", n: [1, 2] } });
  await room.publish({ data: null });
  console.log(ack.id, id, ts);
  try {
    await room.publish("x".repeat(5000));
  } catch (err) {
    if (err instanceof RtError && err.code === "text_too_long") console.log(err.message);
  }
  const sent: boolean = room.signal({ typing: true });
  const page: HistoryPage = await room.history({ before: id, limit: 10 });
  if (page.more) await room.history({ before: page.messages[0].id });
  console.log(sent, room.users.length);
  await room.leave();
  client.disconnect();
}
main();

// Misuses the declarations must refuse.
// @ts-expect-error getToken is required
new Client({});
// @ts-expect-error not an event of the client
client.on("presence", () => {});
// @ts-expect-error a room's message has no `sender`
room.on("message", (m) => m.sender);
// @ts-expect-error publish takes text or {text, data}
room.publish(42);
// @ts-expect-error data must be JSON
room.signal({ when: new Date() });
// @ts-expect-error the state is read-only
client.state = "connected";
// @ts-expect-error users are strings
const n: number[] = room.users;
console.log(n);
