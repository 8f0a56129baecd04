// The browser tests' harness: builds rt, starts it in embedded mode on free
// ports (with a TCP proxy in front that a test can cut), signs tokens, and
// launches Debian's Chromium through playwright-core. pages.mjs drives the
// chat page; *.test.mjs are the scenarios.
//
//   npm ci --prefix e2e/browser && node --test e2e/browser/*.test.mjs
//
// CHROMIUM overrides the browser binary (default /usr/bin/chromium).
// Screenshots and the servers' logs go to e2e/browser/artifacts/.
import { execFile, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const artifacts = path.join(here, 'artifacts');
export const WAIT = 10_000; // bound on any single wait for the page
export const T = { timeout: 30_000 }; // per scenario; the build in before() may take a minute on a cold cache
export const IDLE_TIMEOUT = 4; // seconds; with a 1 s heartbeat a page that ignores system.ping is closed with 4000

const secret = randomBytes(32).toString('hex');
let bin;    // the rt binary, built once by setUp
const servers = []; // every server started, stopped by tearDown
const proxies = []; // every proxy started, closed by tearDown
// shared.browser is the Chromium that setUp launched.
export const shared = { browser: null };

// ---- server -----------------------------------------------------------------

export function freePort() {
  return new Promise((resolve, reject) => {
    const l = net.createServer();
    l.once('error', reject);
    l.listen(0, '127.0.0.1', () => {
      const { port } = l.address();
      l.close(() => resolve(port));
    });
  });
}

export async function build() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rt-browser-'));
  bin = path.join(dir, 'rt');
  await promisify(execFile)('go', ['build', '-o', bin, '.'], { cwd: root });
}

// startServer runs rt in embedded mode on a free port, with env added to the
// test's settings; it also allows the origins of the ports in alsoAllow
// (proxies in front of it). Its log goes to artifacts/<logName>.
export async function startServer({ env: extra = {}, alsoAllow = [], logName = 'server.log' } = {}) {
  const port = await freePort();
  const env = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    JWT_SECRET: secret,
    ALLOWED_ORIGINS: [port, ...alsoAllow].map((p) => `http://localhost:${p}`).join(','),
    REDIS_URL: '',
    DEMO_PAGE: 'true',
    HEARTBEAT_INTERVAL: '1',
    IDLE_TIMEOUT: String(IDLE_TIMEOUT),
    API_ADDR: '', // not the shell's: every server would claim the same port
    API_KEY: '',
    ...extra,
  };
  const proc = spawn(bin, [], { cwd: path.dirname(bin), env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(path.join(artifacts, logName));
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const srv = { proc, port, exited };
  servers.push(srv);
  process.once('exit', () => proc.kill('SIGKILL')); // in case the runner dies before after()

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`rt exited with ${proc.exitCode}; see ${artifacts}/${logName}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) return srv;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error('rt never answered /readyz with 200');
    await sleep(100);
  }
}

export async function stopServer({ proc, exited }) {
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

// startProxy listens on port and relays every TCP connection to rt on
// target: a network path between the browser and rt that the test can cut.
// cut() drops every connection through it and refuses new ones (the page
// sees its socket lost, 1006, and its reconnects fail) until restore().
// freeze() makes the connections open now go silent both ways without
// closing, as a network path that vanished does: nothing more reaches
// either side, not even the server's close; new connections still work.
export async function startProxy(port, target) {
  const open = new Set();
  let up = true;
  const srv = net.createServer((client) => {
    if (!up) return client.destroy();
    const upstream = net.connect(target, '127.0.0.1');
    let frozen = false;
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(link);
    };
    const link = { drop, freeze: () => { frozen = true; } };
    open.add(link);
    for (const [from, to] of [[client, upstream], [upstream, client]]) {
      from.on('data', (chunk) => frozen || to.write(chunk));
      from.on('error', drop);
      // A frozen path hides the other side's close too: rt closing its end
      // after IDLE_TIMEOUT leaves the browser's end open.
      from.on('close', () => (frozen ? from.destroy() : drop()));
    }
  });
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', resolve);
  });
  const proxy = {
    port,
    cut() {
      up = false;
      [...open].forEach((l) => l.drop());
    },
    restore() { up = true; },
    freeze() { [...open].forEach((l) => l.freeze()); },
    close() {
      proxy.cut();
      return new Promise((resolve) => srv.close(resolve));
    },
  };
  proxies.push(proxy);
  return proxy;
}

// token signs an HS256 JWT for sub that expires in ttl seconds.
export function token(sub, ttl = 3600) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, iat: now, exp: now + ttl })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// setUp builds rt, starts the main server (its log in artifacts/<logName>)
// with a cuttable proxy in front, both origins allowed, and launches the
// browser. site is the allowed origin http://localhost:<port>.
export async function setUp(logName = 'server.log') {
  await mkdir(artifacts, { recursive: true });
  await build();
  const proxyPort = await freePort();
  const server = await startServer({ alsoAllow: [proxyPort], logName });
  const proxy = await startProxy(proxyPort, server.port);
  shared.browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { server, proxy, site: `http://localhost:${server.port}` };
}

export async function tearDown() {
  await shared.browser?.close().catch(() => {});
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(servers.map(stopServer));
  if (bin) await rm(path.dirname(bin), { recursive: true, force: true });
}

// ---- the server API ---------------------------------------------------------

// startAPIServer is startServer with the server API on (API_ADDR on a free
// loopback port, a random API_KEY); the server it returns has
// api(method, path, body), which calls the API with the key and resolves
// with { status, body } (body parsed from JSON, null when there is none),
// and apiOrigin and apiKey, for a page served on the API's listener.
export async function startAPIServer(opts = {}) {
  const apiPort = await freePort();
  const key = randomBytes(24).toString('hex');
  const srv = await startServer({ ...opts, env: { ...opts.env, API_ADDR: `127.0.0.1:${apiPort}`, API_KEY: key } });
  srv.apiOrigin = `http://127.0.0.1:${apiPort}`;
  srv.apiKey = key;
  srv.api = async (method, p, body) => {
    const res = await fetch(`http://127.0.0.1:${apiPort}${p}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return srv;
}

// tokenWith signs an HS256 JWT for sub, with claims added to (or replacing)
// iat and exp, such as a rooms claim; it expires in ttl seconds.
export function tokenWith(sub, claims = {}, ttl = 3600) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, iat: now, exp: now + ttl, ...claims })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
