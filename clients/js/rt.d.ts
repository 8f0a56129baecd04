// Types of rt.js, the JavaScript client of rt (docs/protocol.md).

/** Any JSON value: what `data` of a message or a signal may hold. */
export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };

/** The client's connection state. */
export type State = "disconnected" | "connecting" | "connected";

/** Codes of RtError: the server's system.error codes and the library's own. */
export type ErrorCode =
  | "bad_json" | "bad_message" | "unknown_type" | "room_mismatch" | "not_joined" | "bad_room"
  | "bad_since" | "room_forbidden" | "too_many_rooms" | "text_too_long" | "message_too_long"
  | "rate_limited" | "token_invalid" | "unavailable" | "hook_denied" | "rejected"
  | "queue_full" | "disconnected" | "timeout"
  | (string & {});

/** A refusal: from the server (its system.error code) or from the library. */
export class RtError extends Error {
  constructor(code: ErrorCode, message?: string);
  readonly name: "RtError";
  readonly code: ErrorCode;
}

/** Thrown by getToken when no token will come: the client stops. */
export class UnauthorizedError extends Error {
  constructor(message?: string);
  readonly name: "UnauthorizedError";
}

export interface ClientOptions {
  /** "ws://host:port" or "wss://..."; default: the page's origin with ws(s). */
  url?: string;
  /**
   * Outside browsers only (Node 22+): the Origin header to send, one of the
   * server's ALLOWED_ORIGINS; Node's WebSocket sends none, and rt refuses a
   * handshake without one. Browsers send their own: leave it out there.
   */
  origin?: string;
  /**
   * Called at every connect and reconnect, after a 4001 close, and before
   * the token's exp. Resolving to null or "", or throwing UnauthorizedError,
   * stops the client; any other error is retried with backoff.
   */
  getToken: () => string | null | undefined | Promise<string | null | undefined>;
  /** Shortest reconnect backoff cap, ms (default 500). */
  minDelay?: number;
  /** Longest reconnect backoff cap, ms (default 20000). */
  maxDelay?: number;
  /** Publishes that may wait for a connection or a join, per client (default 100). */
  publishQueue?: number;
  /** How long a publish, history() or token refresh waits for its answer, ms (default 10000). */
  ackTimeout?: number;
  /**
   * A socket that carries no frame for this long is taken for dead and
   * replaced, ms (default 60000; 0 turns the check off). The server sends
   * system.ping every HEARTBEAT_INTERVAL (25 s by default): keep this above it.
   */
  maxSilence?: number;
}

/** A close code and reason; 0 and "" when there is none. */
export interface CloseInfo {
  code: number;
  reason: string;
}

export interface StateEvent extends CloseInfo {
  state: State;
}

/** A chat message of a room, live or replayed. */
export interface Message {
  room: string;
  id: string;
  user: string;
  text?: string;
  data?: JSONValue;
  ts: number;
}

/** A personal message from the application's backend (user.message). */
export interface UserMessage {
  user: string;
  id: string;
  text?: string;
  data?: JSONValue;
  ts: number;
}

export interface Signal {
  room: string;
  user: string;
  data: JSONValue;
  ts: number;
}

export interface Recovered {
  /** Messages replayed. */
  count: number;
  /** false: messages may be missing; reload with history(). */
  complete: boolean;
}

export interface Left {
  /** "forbidden" or "disconnected" from the server, or the refused rejoin's error code. */
  reason: string;
}

export interface Ack {
  id: string;
  ts: number;
}

export interface HistoryOptions {
  /** A message id: the page holds messages older than it. */
  before?: string;
  /** 1 to 100 (default 50). */
  limit?: number;
}

export interface HistoryPage {
  /** Oldest first. */
  messages: Message[];
  /** Older messages exist: ask again with before = messages[0].id. */
  more: boolean;
}

export interface ClientEvents {
  state: StateEvent;
  connecting: CloseInfo;
  connected: CloseInfo;
  disconnected: CloseInfo;
  message: UserMessage;
  error: Error;
}

export interface RoomEvents {
  message: Message;
  signal: Signal;
  presence: string[];
  recovered: Recovered;
  left: Left;
  joined: void;
}

export interface ClientStats {
  /** Deliveries dropped because their id was not past the room's position. */
  duplicates: number;
  /** Connections opened after the first since connect(). */
  reconnects: number;
}

/** What changed in a room's users: the second argument of a presence listener. */
export interface PresenceChange {
  joins: string[];
  leaves: string[];
  /**
   * The change came from the list the client reads after each join, not from
   * a live announcement: these users were there already (or left unseen).
   */
  listed: boolean;
}

/** The second argument of a listener, for the events that have one. */
export interface EventDetails {
  presence: PresenceChange;
}

type Listener<Events, E extends keyof Events> = (
  arg: Events[E],
  detail: E extends keyof EventDetails ? EventDetails[E] : undefined,
) => void;

declare class Emitter<Events> {
  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, fn: Listener<Events, E>): () => void;
  off<E extends keyof Events>(event: E, fn: Listener<Events, E>): void;
}

export class Room extends Emitter<RoomEvents> {
  private constructor();
  readonly client: Client;
  readonly name: string;
  /** The greatest message id seen in the room; "" before any. */
  readonly position: string;
  /** The users present, sorted. */
  readonly users: string[];
  /** Resolves once joined; the room stays wanted across reconnects until leave(). */
  join(): Promise<void>;
  leave(): Promise<void>;
  publish(text: string): Promise<Ack>;
  publish(message: { text?: string; data?: JSONValue }): Promise<Ack>;
  /** Fire and forget; false (dropped) when the room is not joined right now. */
  signal(data: JSONValue): boolean;
  history(options?: HistoryOptions): Promise<HistoryPage>;
}

export class Client extends Emitter<ClientEvents> {
  constructor(options: ClientOptions);
  readonly state: State;
  /** Close code of the last transition (0 when none). */
  readonly code: number;
  readonly reason: string;
  readonly stats: Readonly<ClientStats>;
  /** The same Room for the same name. */
  room(name: string): Room;
  connect(): void;
  /** Closes with 1000 and refuses everything pending with code "disconnected". */
  disconnect(): void;
}
