// Hostile input: 100,000 random and mutated frames through the parser and both decoders.
// None may throw or hang, memory stays bounded, and a valid frame after the noise still decodes.
import { encodeFrame, FrameParser } from './frame';
import { BusMessage, decodeRequest, decodeResponse, encodeMessage } from './messages';
import { MAX_FRAME } from './protocol';

/** xorshift32: reproducible noise, so a failure can be replayed with the printed seed. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const SEEDS: BusMessage[] = [
  { kind: 'read-measurements-range', first: 1, count: 32 },
  { kind: 'measurements', address: 7, of: 'read-measurements-range', measurements: { voltageV: 13.6, temperatureC: 24.1, resistanceOhm: 0.0041, status: { fuseBlown: false, overTemperature: false, bypassOn: true, riMeasuring: false, identifying: false, fuseTripped: false, addressMode: false }, bypassDutyPercent: 30 } },
  { kind: 'set-bypass-range', first: 1, dutiesPercent: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100] },
  { kind: 'info', address: 3, of: 'enumerate', info: { protocolVersion: 1, moduleType: 'C40', firmware: '2.0.1', hardwareRevision: 3, serial: 123456 } },
  { kind: 'fuse', address: 9, of: 'read-fuse', fuse: { blown: true, tripped: true, trips: 2 } },
  { kind: 'error', address: 4, of: 'start-ri', code: 4 },
  { kind: 'assign-address', newAddress: 12 },
  { kind: 'identify', address: 2, seconds: 10 },
].map((m) => m as BusMessage);

describe('module bus codec under hostile input', () => {
  it('survives 100,000 random and mutated frames', () => {
    const seed = 0x5eed1234;
    const rand = rng(seed);
    const int = (n: number) => Math.floor(rand() * n);
    const valid = SEEDS.map((m) => encodeFrame(encodeMessage(m)));
    const parser = new FrameParser();
    let frames = 0;
    let errors = 0;
    for (let i = 0; i < 100_000; i++) {
      let bytes: Uint8Array;
      const mode = i % 4;
      if (mode === 0) {
        // Pure noise of random length, sometimes with start bytes sprinkled in.
        bytes = new Uint8Array(int(3 * MAX_FRAME));
        for (let j = 0; j < bytes.length; j++) bytes[j] = rand() < 0.05 ? 0xa5 : int(256);
      } else {
        bytes = Uint8Array.from(valid[int(valid.length)]);
        if (mode === 1) {
          for (let k = 1 + int(3); k > 0; k--) bytes[int(bytes.length)] ^= 1 << int(8);
        } else if (mode === 2) {
          // Truncated, or with a forged length byte (and a CRC that may or may not match).
          bytes = rand() < 0.5 ? bytes.subarray(0, int(bytes.length)) : Uint8Array.from(bytes, (b, j) => (j === 4 ? int(256) : b));
        } else {
          // A valid header and CRC around a random payload: reaches the message decoders.
          const payload = new Uint8Array(int(20));
          for (let j = 0; j < payload.length; j++) payload[j] = int(256);
          bytes = encodeFrame({ address: int(0x10000), command: int(256), payload });
        }
      }
      for (const e of parser.push(bytes)) {
        if (e.kind === 'error') {
          errors++;
          continue;
        }
        frames++;
        const d = e.frame.command & 0x80 ? decodeResponse(e.frame) : decodeRequest(e.frame);
        expect(typeof d.ok).toBe('boolean');
      }
      expect(parser.pending).toBeLessThanOrEqual(MAX_FRAME);
    }
    // The parser is back in step: noise ends, a clean frame decodes.
    parser.push(new Uint8Array(MAX_FRAME));
    const last = parser.push(valid[0]).filter((e) => e.kind === 'frame');
    expect(last).toHaveLength(1);
    expect(frames).toBeGreaterThan(10_000);
    expect(errors).toBeGreaterThan(10_000);
    // The test's time limit is the hang guard (a pathological rescan would exceed it).
  }, 120_000);
});
