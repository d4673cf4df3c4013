import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { client, xml, type XmlElement } from '@xmpp/client';
import { freePort } from './ports.ts';

/**
 * VOX_TEST_XMPP turns the XMPP tests on: `1` runs `prosody` from PATH, anything else is the path
 * of the prosody binary (Debian's package; `.ci/run` installs it and sets the variable).
 */
const setting = process.env.VOX_TEST_XMPP;
export const xmppSkip: string | false = setting ? false : 'VOX_TEST_XMPP is not set: XMPP tests against prosody skipped (.ci/run installs prosody and sets it)';
const prosodyBin = !setting || setting === '1' ? 'prosody' : setting;
const prosodyctlBin = join(dirname(prosodyBin), 'prosodyctl');

/** The XMPP domain of the test server. */
export const XMPP_DOMAIN = 'localhost';

/** A prosody of the test's own, on 127.0.0.1, reached through a proxy that can drop connections. */
export interface TestProsody {
  /** `xmpp://127.0.0.1:<proxy port>`: connect through the proxy. */
  readonly service: string;
  /** `xmpp://127.0.0.1:<prosody's port>`, past the proxy, for the test's own accounts. */
  readonly directService: string;
  /** Accounts, by user name, with their passwords. */
  readonly accounts: Readonly<Record<string, string>>;
  /** Connections the proxy has accepted, ever. */
  connections(): number;
  /** Cuts every open connection, as a server restart or a network fault would. */
  dropConnections(): void;
  /** While on, the proxy cuts new connections at once. */
  refuseConnections(on: boolean): void;
  stop(): Promise<void>;
}

/** Starts prosody with its own config and data in a temporary directory, and registers accounts with prosodyctl. */
export async function startProsody(users: readonly string[]): Promise<TestProsody> {
  const dir = mkdtempSync(join(tmpdir(), 'vox-prosody-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'certs'));
  const port = await freePort();
  const config = join(dir, 'prosody.cfg.lua');
  writeFileSync(
    config,
    `-- A throwaway prosody for Vox's tests: loopback only, no TLS, no federation.
run_as_root = true
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
certificates = "${dir}/certs"
log = { { levels = { min = "warn" }, to = "file", filename = "${dir}/prosody.log" } }
c2s_ports = { ${port} }
c2s_interfaces = { "127.0.0.1" }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
http_ports = { }
https_ports = { }
c2s_require_encryption = false
authentication = "internal_hashed"
storage = "internal"
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "smacks" }
modules_disabled = { "s2s" }
VirtualHost "${XMPP_DOMAIN}"
`,
  );
  const accounts: Record<string, string> = {};
  for (const user of users) {
    accounts[user] = `pw-${user}-${Math.random().toString(36).slice(2)}`;
    await promisify(execFile)(prosodyctlBin, ['--config', config, 'register', user, XMPP_DOMAIN, accounts[user]]);
  }
  const server: ChildProcess = spawn(prosodyBin, ['--config', config], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  await waitForPort(port);

  // The proxy counts connections and can cut them, which is how the tests see reuse and recovery.
  const open = new Set<Socket>();
  let accepted = 0;
  let refusing = false;
  const proxy: Server = createServer((client) => {
    accepted += 1;
    if (refusing) return client.destroy();
    const upstream = connect(port, '127.0.0.1');
    const pair = [client, upstream];
    for (const socket of pair) {
      open.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        open.delete(socket);
        for (const other of pair) other.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((ready) => proxy.listen(0, '127.0.0.1', ready));
  const proxyPort = (proxy.address() as { port: number }).port;

  return {
    service: `xmpp://127.0.0.1:${proxyPort}`,
    directService: `xmpp://127.0.0.1:${port}`,
    accounts,
    connections: () => accepted,
    dropConnections() {
      for (const socket of open) socket.destroy();
    },
    refuseConnections(on) {
      refusing = on;
    },
    async stop() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((done) => proxy.close(() => done()));
      if (server.exitCode === null) server.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`prosody did not listen on 127.0.0.1:${port} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A message a test account received. */
export interface ReceivedChat {
  readonly from: string;
  readonly body: string;
}

/** Signs a test account in (straight to prosody's service) and keeps the chat messages it receives. */
export async function xmppInbox(service: string, user: string, password: string): Promise<{ readonly messages: ReceivedChat[]; stop(): Promise<void> }> {
  const messages: ReceivedChat[] = [];
  const account = client({ service, domain: XMPP_DOMAIN, username: user, password, resource: 'inbox' });
  account.reconnect.stop();
  account.on('error', () => {});
  account.on('stanza', (stanza: XmlElement) => {
    const body = stanza.getChildText('body');
    if (stanza.is('message') && stanza.attrs.type !== 'error' && body !== null) messages.push({ from: stanza.attrs.from ?? '', body });
  });
  await account.start();
  // Available, so that messages come at once rather than into offline storage.
  await account.send(xml('presence'));
  return { messages, stop: () => account.stop() };
}
