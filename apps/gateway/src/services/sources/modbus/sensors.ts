// Polls third-party Modbus devices and writes their points into the site: sensors by id, and a
// string's DC, ripple or differential currents. Points of one device are read in as few requests
// as their addresses allow; a device that stops answering fails its points after N misses.
import type { Site, SiteTransaction } from '@kirchhoff/core';
import type { Logger } from '../../../log';
import type { ModbusDeviceConfig, ModbusPointConfig, ModbusSensorsConfig, StringCurrent } from '../config';
import type { RegisterReader } from './client';
import { decodeValue, ModbusReplyError, REGISTER_WIDTH } from './codec';
import { Poller } from '../poller';
import { LinkState } from '../link-state';

/**
 * Only adjacent points share a request: many devices answer a read that spans an unmapped
 * register with exception 2 for the whole request.
 */
const MAX_GAP = 0;

export interface Block {
  readonly fn: 3 | 4;
  readonly address: number;
  readonly count: number;
  readonly points: readonly ModbusPointConfig[];
}

/** Groups points into read requests: same function, adjacent registers, at most 125. */
export function planBlocks(points: readonly ModbusPointConfig[]): Block[] {
  const blocks: Block[] = [];
  for (const fn of [3, 4] as const) {
    const sorted = points.filter((p) => p.function === fn).sort((a, b) => a.address - b.address);
    let cur: { address: number; end: number; points: ModbusPointConfig[] } | null = null;
    for (const p of sorted) {
      const end = p.address + REGISTER_WIDTH[p.type];
      if (cur && p.address <= cur.end + MAX_GAP && Math.max(cur.end, end) - cur.address <= 125) {
        cur.end = Math.max(cur.end, end);
        cur.points.push(p);
      } else {
        if (cur) blocks.push({ fn, address: cur.address, count: cur.end - cur.address, points: cur.points });
        cur = { address: p.address, end, points: [p] };
      }
    }
    if (cur) blocks.push({ fn, address: cur.address, count: cur.end - cur.address, points: cur.points });
  }
  return blocks;
}

export function writePoint(tx: SiteTransaction, target: string, value: number | null, atMs: number): void {
  const [kind, n, field] = target.split('/');
  if (kind === 'sensor') tx.sensor(Number(n), value, atMs);
  else tx.string(Number(n), { [field as StringCurrent]: value }, atMs);
}

export interface DevicePoller {
  readonly device: ModbusDeviceConfig;
  readonly reader: RegisterReader;
}

export class ModbusSensorPoller {
  private readonly poller: Poller<void>;
  private readonly links = new Map<ModbusDeviceConfig, LinkState>();
  private readonly blocks = new Map<ModbusDeviceConfig, Block[]>();

  constructor(
    private readonly site: Site,
    config: ModbusSensorsConfig,
    private readonly devices: readonly DevicePoller[],
    logger: Logger,
  ) {
    for (const d of devices) {
      this.blocks.set(d.device, planBlocks(d.device.points));
      this.links.set(d.device, new LinkState(logger, `Modbus device ${d.device.name} (${d.reader.description}, unit ${d.device.unitId})`, config.failAfterMisses));
    }
    this.poller = new Poller(async () => { await Promise.all(this.devices.map((d) => this.pollDevice(d))); }, config.pollIntervalMs);
  }

  start(): void {
    this.poller.start();
  }

  /** Reads every device once (devices in parallel; a shared serial port takes them in turn). */
  poll(): Promise<void> {
    return this.poller.poll();
  }

  private async pollDevice({ device, reader }: DevicePoller): Promise<void> {
    const values: { target: string; value: number }[] = [];
    const failed: string[] = [];
    for (const block of this.blocks.get(device)!) {
      try {
        const regs = await reader.read({ unitId: device.unitId, fn: block.fn, address: block.address, count: block.count });
        for (const p of block.points) {
          const at = p.address - block.address;
          const raw = decodeValue(regs.slice(at, at + REGISTER_WIDTH[p.type]), p.type, p.wordOrder);
          values.push({ target: p.target, value: raw * p.scale + p.offset });
        }
      } catch (e) {
        const reason = e instanceof ModbusReplyError ? e.message : `read failed: ${(e as Error).message}`;
        failed.push(`FC${block.fn} ${block.address}+${block.count}: ${reason}`);
        for (const p of block.points) values.push({ target: p.target, value: NaN });
      }
    }
    const now = this.site.now();
    const good = values.filter((v) => Number.isFinite(v.value));
    const link = this.links.get(device)!;
    // A point keeps its last value (and its time) until its device has missed failAfterMisses polls.
    const quality = failed.length ? link.miss(failed.join('; ')) : (link.answered(), 'fresh');
    const fail = quality === 'failed' ? values.filter((v) => !Number.isFinite(v.value)) : [];
    if (!good.length && !fail.length) return;
    this.site.update((tx) => {
      for (const v of good) writePoint(tx, v.target, v.value, now);
      for (const v of fail) writePoint(tx, v.target, null, now);
    });
  }

  async close(): Promise<void> {
    await this.poller.stop();
    await Promise.all(this.devices.map((d) => d.reader.close()));
  }
}
