// Helpers for driving real clients: mbpoll (its printed values) and raw MBAP requests.
import { Socket, connect } from 'node:net';
import { run } from '@kirchhoff/test-support';

export interface MbpollResult {
  /** Address -> value as printed (the unsigned or float text's number). */
  readonly values: Map<number, number>;
  /** Address -> the signed value mbpoll prints in parentheses for 16-bit registers above 32767. */
  readonly signed: Map<number, number>;
  /** mbpoll's error line (libmodbus's text of the exception), if any. */
  readonly error: string | null;
  readonly output: string;
}

export async function mbpoll(args: readonly string[]): Promise<MbpollResult> {
  const r = await run('mbpoll', ['-1', '-0', '-o', '2', ...args], { timeoutMs: 10_000 });
  const output = r.stdout + r.stderr;
  const values = new Map<number, number>();
  const signed = new Map<number, number>();
  for (const m of output.matchAll(/^\[(\d+)\]:\s+(\S+)(?: \((-?\d+)\))?/gm)) {
    const address = Number(m[1]);
    values.set(address, m[2] === 'nan' || m[2] === '-nan' ? NaN : Number(m[2]));
    signed.set(address, m[3] !== undefined ? Number(m[3]) : Number(m[2]));
  }
  const error = /(?:failed|error)[^:\n]*: (.+)$/im.exec(output)?.[1]?.trim() ?? null;
  return { values, signed, error, output };
}

/** One raw MBAP request on a fresh connection; resolves with the response PDU (or null if closed). */
export async function rawRequest(port: number, pdu: readonly number[], unitId = 1, transactionId = 0x1234): Promise<Buffer | null> {
  const socket = await openSocket(port);
  try {
    const frame = Buffer.alloc(7 + pdu.length);
    frame.writeUInt16BE(transactionId, 0);
    frame.writeUInt16BE(pdu.length + 1, 4);
    frame[6] = unitId;
    Buffer.from(pdu).copy(frame, 7);
    socket.write(frame);
    const response = await readFrame(socket);
    if (response) {
      expect(response.readUInt16BE(0)).toBe(transactionId);
      expect(response.readUInt16BE(2)).toBe(0);
      expect(response[6]).toBe(unitId);
    }
    return response?.subarray(7) ?? null;
  } finally {
    socket.destroy();
  }
}

export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads one MBAP frame, or null when the server closes first. */
export function readFrame(socket: Socket, timeoutMs = 3000): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (v: Buffer | null) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(v);
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 6 && buf.length >= 6 + buf.readUInt16BE(4)) done(buf.subarray(0, 6 + buf.readUInt16BE(4)));
    };
    const onClose = () => done(null);
    const timer = setTimeout(() => reject(new Error('no response')), timeoutMs);
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}
