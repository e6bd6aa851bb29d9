// NutServer.handle(stream, peer) over in-memory duplex pairs (no sockets, no listener): the lines
// upsc and upsmon send (docs/nut.md), the line limit, bounded output, the caps, the idle timeout
// on a virtual clock and STARTTLS inside the pair.
import { duplexPair, type Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { VirtualClock, type Site } from '@kirchhoff/core';
import { createNutServer, MAX_UNREAD_OUTPUT_BYTES, type NutServer, type NutServerOptions, type NutUser } from './index';
import { fixtureSite } from './__fixtures__/site';
import { TEST_CERT, TEST_KEY } from './__fixtures__/tls';
import { streamClient, type LineClient } from './test-helpers/client';

const MONUSER: NutUser = { name: 'monuser', upsmon: 'secondary', actions: [], instcmds: [] };
const authenticate = async (name: string, password: string) => (name === 'monuser' && password === 'secret' ? MONUSER : null);

/** Lets every pending stream callback and promise run (the pair moves data on the next tick). */
const settle = async (turns = 20): Promise<void> => {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('NutServer.handle on an in-memory stream', () => {
  let site: Site;
  let server: NutServer;
  const start = async (extra: NutServerOptions = {}) => {
    server = await createNutServer(site, { listen: false, strings: true, authenticate, ...extra });
  };
  const open = (address = '192.0.2.7', port = 40000): { client: LineClient; serverSide: Duplex } => {
    const [clientSide, serverSide] = duplexPair();
    server.handle(serverSide, { address, port });
    return { client: streamClient(clientSide), serverSide };
  };
  beforeEach(() => {
    site = fixtureSite();
  });
  afterEach(async () => {
    await server?.close();
  });

  it('answers upsc\'s LIST UPS and GET VAR without a TCP listener', async () => {
    await start();
    expect(server.port).toBe(0);
    const { client } = open();
    expect(await client.ask('LIST UPS')).toEqual([
      'BEGIN LIST UPS', 'UPS kirchhoff "Test battery room: UPS and battery"', 'UPS kirchhoff-string1 "battery string 1"',
      'UPS kirchhoff-string2 "battery string 2"', 'END LIST UPS',
    ]);
    expect(await client.ask('GET VAR kirchhoff ups.status')).toEqual(['VAR kirchhoff ups.status "OL"']);
    expect(await client.ask('GET VAR kirchhoff battery.charge')).toEqual(['VAR kirchhoff battery.charge "97"']);
    expect(await client.ask('GET VAR kirchhoff no.such.var')).toEqual(['ERR VAR-NOT-SUPPORTED']);
    expect(server.connections()).toBe(1);
  });

  it('logs upsmon in with USERNAME, PASSWORD and LOGIN, names the peer in LIST CLIENT, and closes on LOGOUT', async () => {
    await start();
    const { client } = open('192.0.2.7');
    // upsmon's order (clients/upsmon.c): USERNAME, PASSWORD, LOGIN <ups>, then polls.
    expect(await client.ask('USERNAME monuser')).toEqual(['OK']);
    expect(await client.ask('PASSWORD wrong')).toEqual(['OK']);
    expect(await client.ask('LOGIN kirchhoff')).toEqual(['ERR ACCESS-DENIED']);
    expect(await client.ask('USERNAME monuser')).toEqual(['OK']);
    expect(await client.ask('PASSWORD secret')).toEqual(['OK']);
    expect(await client.ask('LOGIN kirchhoff')).toEqual(['OK']);
    expect(await client.ask('GET NUMLOGINS kirchhoff')).toEqual(['NUMLOGINS kirchhoff 1']);
    expect(await client.ask('LIST CLIENT kirchhoff')).toEqual(['BEGIN LIST CLIENT kirchhoff', 'CLIENT kirchhoff 192.0.2.7', 'END LIST CLIENT kirchhoff']);
    expect(await client.ask('LOGOUT')).toEqual(['OK Goodbye']);
    await client.closed();
    expect(server.stats().authFailures).toBe(1);
  });

  it('refuses a line longer than maxLineBytes with ERR INVALID-ARGUMENT and ends the connection', async () => {
    await start({ maxLineBytes: 64 });
    const { client } = open();
    expect(await client.ask(`GET VAR kirchhoff ${'x'.repeat(64)}`)).toEqual(['ERR INVALID-ARGUMENT']);
    await client.closed();
    // Without a line end too: the guard is on what waits, not only on whole lines.
    const second = open();
    second.client.socket.write('G'.repeat(65));
    expect(await second.client.next()).toBe('ERR INVALID-ARGUMENT');
    await second.client.closed();
    expect(server.stats().tooLong).toBe(2);
  });

  it('stops reading a client that does not read its answers, and serves it again once it reads', async () => {
    await start();
    const [clientSide, serverSide] = duplexPair();
    server.handle(serverSide, { address: '192.0.2.7' });
    const requests = 2000;
    for (let i = 0; i < requests; i++) clientSide.write('LIST VAR kirchhoff\n');
    // Nobody reads clientSide: the answers pile up on the server's side of the pair until the bound.
    while (serverSide.writableLength <= MAX_UNREAD_OUTPUT_BYTES) await settle(1);
    const piled = serverSide.writableLength;
    await settle(200);
    expect(serverSide.writableLength).toBe(piled);
    // The requests not yet read wait on the client's side: the server stopped reading.
    expect(clientSide.writableLength).toBeGreaterThan(0);
    // Once the client reads, every request is answered in order.
    const client = streamClient(clientSide);
    let lists = 0;
    while (lists < requests) if ((await client.next()) === 'END LIST VAR kirchhoff') lists++;
    expect(lists).toBe(requests);
  });

  it('serves a good client while a bad one floods, overruns the line limit or never reads', async () => {
    await start({ maxLineBytes: 64 });
    const [hogSide, hogServer] = duplexPair();
    server.handle(hogServer, { address: '192.0.2.66' });
    for (let i = 0; i < 2000; i++) hogSide.write('LIST VAR kirchhoff\n');
    const long = open('192.0.2.67');
    long.client.socket.write('Z'.repeat(10_000));
    const good = open('192.0.2.8');
    expect(await good.client.ask('LIST UPS')).toHaveLength(5);
    expect(await good.client.ask('GET VAR kirchhoff ups.status')).toEqual(['VAR kirchhoff ups.status "OL"']);
    expect(await long.client.next()).toBe('ERR INVALID-ARGUMENT');
    expect(await good.client.ask('GET VAR kirchhoff-string1 battery.runtime')).toEqual(['VAR kirchhoff-string1 battery.runtime "2490"']);
    hogSide.destroy();
  });

  it('keeps maxConnectionsPerAddress per peer address: the longest idle of that address gives way', async () => {
    const clock = new VirtualClock();
    await start({ clock, maxConnectionsPerAddress: 2 });
    const first = open('192.0.2.7', 1);
    clock.advance(1000);
    const second = open('192.0.2.7', 2);
    const other = open('192.0.2.8', 3);
    clock.advance(1000);
    expect(await first.client.ask('VER')).toHaveLength(1); // first is now the most recently active
    clock.advance(1000);
    const third = open('192.0.2.7', 4);
    // (The pair does not carry a destroy across to the client's end: the server's end is checked.)
    await settle();
    expect(second.serverSide.destroyed).toBe(true);
    expect(await first.client.ask('NETVER')).toEqual(['1.3']);
    expect(await third.client.ask('NETVER')).toEqual(['1.3']);
    expect(await other.client.ask('NETVER')).toEqual(['1.3']);
    expect(server.stats()).toMatchObject({ evicted: 1, connections: 3 });
  });

  it('closes a connection silent for idleTimeoutS on the server\'s clock, and not one that spoke', async () => {
    const clock = new VirtualClock();
    await start({ clock, idleTimeoutS: 5 });
    const { client, serverSide } = open();
    clock.advance(4000);
    expect(await client.ask('NETVER')).toEqual(['1.3']);
    clock.advance(4000);
    await settle();
    expect(server.connections()).toBe(1);
    clock.advance(1000);
    await settle();
    expect(serverSide.destroyed).toBe(true);
    expect(server.connections()).toBe(0);
  });

  it('upgrades the in-memory stream on STARTTLS and answers inside TLS', async () => {
    await start({ tls: { cert: TEST_CERT, key: TEST_KEY } });
    const [clientSide, serverSide] = duplexPair();
    server.handle(serverSide, { address: '192.0.2.7' });
    const plain = streamClient(clientSide);
    expect(await plain.ask('STARTTLS')).toEqual(['OK STARTTLS']);
    clientSide.removeAllListeners('data');
    const secure = tlsConnect({ socket: clientSide, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    const inside = streamClient(secure);
    expect(await inside.ask('GET VAR kirchhoff ups.status')).toEqual(['VAR kirchhoff ups.status "OL"']);
    expect(await inside.ask('STARTTLS')).toEqual(['ERR ALREADY-SSL-MODE']);
    secure.destroy();
  });
});
