// One valid request per listener, as raw bytes on a loopback socket, and the check that its
// answer came back: how the hostile-input tests and the fuzz campaign tell "still serving" from
// "crashed or hung". Any protocol answer counts (an exception, a refused CONNACK, a NAK).
import { createSocket } from 'node:dgram';
import { connect as tcpConnect, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export type ProbeKind = 'modbus-tcp' | 'snmp' | 'bacnet' | 'http' | 'https' | 'mqtt' | 'rccmd-tcp' | 'rccmd-udp' | 'nut';

/** SNMPv2c GetRequest for sysName.0 with community `public`; bytes 17..20 are the request id
 * (kept at four bytes in the answer's minimal encoding by a non-zero high byte). */
export function snmpGet(requestId: number): Buffer {
  const b = Buffer.from('302902010104067075626c6963a01c02040000000002010002010030' + '0e300c06082b060102010105000500', 'hex');
  b.writeUInt32BE(0x10000000 + (requestId & 0xffffff), 17);
  return b;
}

/** BACnet/IP Original-Unicast ReadProperty of the Device object's Object_Name. */
export function bacnetReadDeviceName(deviceInstance: number, invokeId: number): Buffer {
  const oid = ((8 << 22) | deviceInstance) >>> 0;
  const apdu = [0x00, 0x05, invokeId & 0xff, 0x0c, 0x0c, oid >>> 24, (oid >>> 16) & 0xff, (oid >>> 8) & 0xff, oid & 0xff, 0x19, 77];
  const len = 4 + 2 + apdu.length;
  return Buffer.from([0x81, 0x0a, len >> 8, len & 0xff, 0x01, 0x04, ...apdu]);
}

/** Modbus TCP Read Holding Registers (FC 3) of one register at 0. */
export function modbusRead(transactionId: number, unitId = 1): Buffer {
  return Buffer.from([transactionId >> 8 & 0xff, transactionId & 0xff, 0, 0, 0, 6, unitId, 3, 0, 0, 0, 1]);
}

/** MQTT 3.1.1 CONNECT, clean session, keep-alive 60 s, optional user name and password. */
export function mqttConnect(clientId: string, user?: string, password?: string): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const flags = 0x02 | (user !== undefined ? 0x80 : 0) | (password !== undefined ? 0x40 : 0);
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, flags, 0, 60]), str(clientId),
    ...(user !== undefined ? [str(user)] : []), ...(password !== undefined ? [str(password)] : [])]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

export function httpGet(path = '/health'): Buffer {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
}

/** A KRCCMD/1 ALIVE line: an allowed sender without a key gets a NAK, which is an answer. */
export function rccmdAlive(nonce: number): Buffer {
  return Buffer.from(`KRCCMD/1 ALIVE from=fuzz ts=${Date.now()} nonce=${nonce.toString(16).padStart(16, '0')}\n`);
}

/** NUT (upsd protocol) GET VAR of the battery charge of UPS `ups`. */
export function nutGetVar(ups = 'kirchhoff', variable = 'battery.charge'): Buffer {
  return Buffer.from(`GET VAR ${ups} ${variable}\n`);
}

/** Sends `request` on a fresh connection; resolves with the first bytes of the answer. */
function streamExchange(open: () => Socket, request: Buffer, done: (got: Buffer) => boolean, timeoutMs: number, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = open();
    let got = Buffer.alloc(0);
    const finish = (error: Error | null) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error); else resolve(got);
    };
    const timer = setTimeout(() => finish(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (e) => finish(new Error(`${what}: ${e.message}`)));
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (done(got)) finish(null);
    });
    socket.on('close', () => finish(got.length ? null : new Error(`${what}: closed without an answer`)));
    socket.write(request);
  });
}

function datagramExchange(port: number, host: string, request: Buffer, accept: (m: Buffer) => boolean, timeoutMs: number, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const finish = (error: Error | null, got?: Buffer) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error); else resolve(got!);
    };
    const timer = setTimeout(() => finish(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (e) => finish(new Error(`${what}: ${e.message}`)));
    socket.on('message', (m) => { if (accept(m)) finish(null, m); });
    socket.bind(0, '127.0.0.1', () => socket.send(request, port, host));
  });
}

export interface ProbeTarget {
  readonly kind: ProbeKind;
  readonly port: number;
  readonly host?: string;
  /** BACnet: the device instance to read. */
  readonly deviceInstance?: number;
}

let sequence = 1;

/** Resolves when the listener answered a valid request; rejects (with what was missing) otherwise. */
export async function probe(target: ProbeTarget, timeoutMs = 2000): Promise<void> {
  const host = target.host ?? '127.0.0.1';
  const id = sequence = (sequence % 0xfffe) + 1;
  const what = `${target.kind} ${host}:${target.port}`;
  const tcp = () => tcpConnect(target.port, host);
  switch (target.kind) {
    case 'modbus-tcp': {
      const got = await streamExchange(tcp, modbusRead(id), (b) => b.length >= 9, timeoutMs, what);
      if (got.readUInt16BE(0) !== id || (got[7] & 0x7f) !== 3) throw new Error(`${what}: answered ${got.toString('hex')}`);
      return;
    }
    case 'snmp': {
      const req = snmpGet(id);
      await datagramExchange(target.port, host, req, (m) => m.includes(req.subarray(17, 21)) && m.includes(0xa2), timeoutMs, what);
      return;
    }
    case 'bacnet':
      await datagramExchange(target.port, host, bacnetReadDeviceName(target.deviceInstance ?? 260_001, id), (m) => m[0] === 0x81 && m.length > 8, timeoutMs, what);
      return;
    case 'http':
    case 'https': {
      const open = target.kind === 'http' ? tcp : () => tlsConnect({ port: target.port, host, rejectUnauthorized: false });
      const got = await streamExchange(open, httpGet(), (b) => b.includes('\r\n\r\n'), timeoutMs, what);
      if (!got.toString('latin1').startsWith('HTTP/1.1 ')) throw new Error(`${what}: answered ${got.toString('latin1').slice(0, 40)}`);
      return;
    }
    case 'mqtt': {
      const got = await streamExchange(tcp, mqttConnect(`probe-${id}`), (b) => b.length >= 4, timeoutMs, what);
      if (got[0] !== 0x20) throw new Error(`${what}: answered ${got.toString('hex')} instead of CONNACK`);
      return;
    }
    case 'rccmd-tcp': {
      const got = await streamExchange(tcp, rccmdAlive(id), (b) => b.includes(0x0a), timeoutMs, what);
      if (!got.toString().startsWith('KRCCMD/1 ')) throw new Error(`${what}: answered ${got.toString().slice(0, 40)}`);
      return;
    }
    case 'nut': {
      // The value, or ERR DATA-STALE while the site has no fresh reading: both are upsd's answer.
      const got = (await streamExchange(tcp, nutGetVar(), (b) => b.includes(0x0a), timeoutMs, what)).toString('latin1');
      if (!/^(VAR kirchhoff battery\.charge "\d+(\.\d+)?"|ERR DATA-STALE)\n/.test(got)) throw new Error(`${what}: answered ${got.slice(0, 60)}`);
      return;
    }
    case 'rccmd-udp':
      await datagramExchange(target.port, host, rccmdAlive(id), (m) => m.toString().startsWith('KRCCMD/1 '), timeoutMs, what);
      return;
  }
}
