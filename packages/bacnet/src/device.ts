// The BACnet/IP device over a site: one UDP socket, the framing of frame.ts, one handler per
// service, COV subscriptions, intrinsic OUT_OF_RANGE and CHANGE_OF_STATE reporting, DCC, segmented
// responses and optional foreign-device registration. Application values use @bacnet-js/client.
import { createSocket, RemoteInfo, Socket } from 'node:dgram';
import { AbortReason, RejectReason } from '@bacnet-js/client';
import { IAm, IHave } from '@bacnet-js/client/dist/lib/services';
import { Alarm, CommandError, ProblemLog, RateLimitedLog, Site, SiteSnapshot } from '@kirchhoff/core';
import { asn1, bitString, DecodeError, EncodeBuffer, encodeValue, TagReader, V, Value } from './codec';
import {
  BacnetAddress, BVLC, BVLC_NAK, bvlcResult, decodeFrame, finishBvlc, Frame, ipMac, PDU, registerForeignDevice, writeHeader,
} from './frame';
import {
  BacnetObject, buildPointObjects, CovSubscriptionView, deviceObject, DeviceView, encodeTimeStamp, ERR, EVENT_ENABLE, EVENT_STATE,
  EventInfo, EventTimeStamp, INITIAL_TIMESTAMPS, limitsOf, notificationClassObject, objectKey, ObjectId, P, PropertyDef,
  PropertyError, ReadContext, RecipientView, reliabilityOf,
} from './objects';
import { BacnetDeviceOptions, BacnetLogger, stderrLogger, validateOptions, withDefaultPort } from './options';
import { OT } from './table';
import { serviceBits, servicesSupported } from './services-supported';

/** Confirmed services (BACnetConfirmedServiceChoice) this device executes. */
export const CONFIRMED = {
  ACKNOWLEDGE_ALARM: 0, CONFIRMED_COV_NOTIFICATION: 1, CONFIRMED_EVENT_NOTIFICATION: 2, SUBSCRIBE_COV: 5, READ_PROPERTY: 12,
  READ_PROPERTY_MULTIPLE: 14, WRITE_PROPERTY: 15, DEVICE_COMMUNICATION_CONTROL: 17, REINITIALIZE_DEVICE: 20, GET_EVENT_INFORMATION: 29,
} as const;
export const UNCONFIRMED = { I_AM: 0, I_HAVE: 1, UNCONFIRMED_COV_NOTIFICATION: 2, UNCONFIRMED_EVENT_NOTIFICATION: 3, WHO_HAS: 7, WHO_IS: 8 } as const;

export const MAX_APDU = 1476;
/** Our own limit on segments per response (a whole 16 x 32 Object_List needs 8). */
export const MAX_RESPONSE_SEGMENTS = 64;
const PROPOSED_WINDOW = 16;
const ENCODE_LIMIT = MAX_RESPONSE_SEGMENTS * MAX_APDU;

export interface BacnetDevice {
  /** The bound UDP port (useful with port 0). */
  readonly port: number;
  readonly address: string;
  readonly deviceInstance: number;
  /** Every object, Device first, in Object_List order. */
  readonly objectList: readonly { readonly type: number; readonly instance: number; readonly name: string }[];
  /** Broadcasts an I-Am (unless communication is disabled). */
  announce(): void;
  /** The live COV subscriptions (Active_COV_Subscriptions). */
  covSubscriptions(): readonly CovSubscriptionView[];
  close(): Promise<void>;
}

type Reply =
  | { readonly kind: 'simple' }
  | { readonly kind: 'complex'; readonly encode: (b: EncodeBuffer) => void }
  | { readonly kind: 'error'; readonly error: PropertyError }
  | { readonly kind: 'reject'; readonly reason: number }
  | { readonly kind: 'none' };

interface Peer {
  readonly host: string;
  readonly port: number;
  /** NPDU destination for replies when the request came through a router. */
  readonly dest: BacnetAddress | null;
  readonly key: string;
}

interface Subscription {
  readonly peer: Peer;
  readonly mac: Buffer;
  readonly processId: number;
  readonly object: BacnetObject;
  readonly confirmed: boolean;
  readonly lifetimeS: number;
  expiresAtMs: number | null;
  lastValue: number | null;
  lastFlags: string;
}

interface EventTrack extends EventInfo {
  pending: { target: number; sinceMs: number } | null;
}

interface SegmentedTx {
  readonly peer: Peer;
  readonly invokeId: number;
  readonly service: number;
  readonly chunks: Buffer[];
  window: number;
  /** First sequence number of the window in flight. */
  base: number;
  retries: number;
  timer: NodeJS.Timeout | null;
}

interface PendingRequest {
  readonly resolve: (ok: boolean) => void;
  readonly datagram: Buffer;
  readonly peer: Peer;
  retries: number;
  timer: NodeJS.Timeout | null;
}

type DccState = 'enable' | 'disable' | 'disable-initiation';

/** Starts a BACnet/IP device serving `site`; resolves once the socket is bound. */
export async function createBacnetDevice(site: Site, options: BacnetDeviceOptions = {}): Promise<BacnetDevice> {
  validateOptions(options);
  const server = new BacnetServer(site, options);
  await server.start();
  return server;
}

class BacnetServer implements BacnetDevice, DeviceView {
  readonly address: string;
  readonly deviceInstance: number;
  readonly deviceName: string;
  readonly vendorName: string;
  readonly vendorId: number;
  readonly modelName: string;
  readonly firmwareRevision: string;
  readonly applicationSoftwareVersion: string;
  readonly description: string;
  readonly location: string;
  readonly maxApdu = MAX_APDU;
  readonly apduTimeoutMs: number;
  readonly apduRetries: number;
  readonly servicesSupported: number[];
  readonly objectTypesSupported: number[];
  readonly databaseRevision: number;
  readonly objects: BacnetObject[];
  readonly notificationPriorities: [number, number, number];
  readonly ackRequired: [boolean, boolean, boolean];
  readonly recipients: (RecipientView & { peer: Peer })[];

  private readonly socket: Socket;
  private readonly log: BacnetLogger;
  private readonly byKey = new Map<string, BacnetObject>();
  private readonly byName = new Map<string, BacnetObject>();
  private readonly alarmObjects: BacnetObject[] = [];
  /** The site's active alarms, kept from the change feed, and how many of them hold each alarm object active. */
  private readonly activeAlarms = new Map<string, Alarm>();
  private readonly alarmCounts = new Map<BacnetObject, number>();
  private readonly events = new Map<string, EventTrack>();
  private readonly priorityArrays = new Map<number, (boolean | null)[]>();
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly segmented = new Map<string, SegmentedTx>();
  private readonly pending = new Map<number, PendingRequest>();
  /** Hostile or broken input: one line per kind per minute, every case counted. */
  private readonly problems: RateLimitedLog;
  private readonly scratch = Buffer.allocUnsafe(ENCODE_LIMIT + 64 * 1024);
  private readonly sendBuf = Buffer.allocUnsafe(MAX_APDU + 64);
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: () => void;
  private boundPort = 0;
  private invokeCounter = 0;
  private dcc: DccState = 'enable';
  private dccTimer: NodeJS.Timeout | null = null;
  private evaluateScheduled = false;
  private bbmdPeer: Peer | null = null;
  private registered = false;
  private closed = false;

  constructor(private readonly site: Site, private readonly options: BacnetDeviceOptions) {
    const snap = site.snapshot();
    this.log = options.logger ?? stderrLogger;
    this.problems = (options.problems ?? new ProblemLog()).source('bacnet', this.log);
    this.address = options.address ?? '0.0.0.0';
    this.deviceInstance = options.deviceInstance ?? 260001;
    this.deviceName = options.deviceName || snap.info.name;
    this.vendorName = options.vendorName ?? 'Kirchhoff project';
    this.vendorId = options.vendorId ?? 0;
    this.modelName = options.modelName ?? 'Kirchhoff battery management gateway';
    this.firmwareRevision = options.firmwareRevision ?? '0.1.0';
    this.applicationSoftwareVersion = options.applicationSoftwareVersion ?? '@kirchhoff/bacnet 0.1.0';
    this.description = options.description ?? 'Battery monitoring: strings, modules, UPS, sensors and I/O';
    this.location = options.location ?? snap.info.location;
    this.apduTimeoutMs = options.apduTimeoutMs ?? 3000;
    this.apduRetries = options.apduRetries ?? 3;
    this.notificationPriorities = [...(options.notificationPriorities ?? [64, 64, 128])] as [number, number, number];
    this.ackRequired = [...(options.ackRequired ?? [true, false, false])] as [boolean, boolean, boolean];
    this.recipients = (options.recipients ?? []).map((r) => {
      const hp = withDefaultPort(r.address);
      const [host, port] = hp.split(':');
      return {
        mac: ipMac(hp), processId: r.processId ?? 1, confirmed: r.confirmed ?? false, transitions: r.transitions ?? [true, true, true],
        peer: { host, port: Number(port), dest: null, key: hp },
      };
    });
    const points = buildPointObjects(snap);
    this.objects = [deviceObject(() => this), ...points, notificationClassObject()];
    for (const o of this.objects) {
      this.byKey.set(objectKey(o.id), o);
      this.byName.set(o.name, o);
      if (o.alarm) {
        this.alarmObjects.push(o);
        this.alarmCounts.set(o, 0);
      }
      if (o.analog?.point.limits || o.alarm) this.events.set(objectKey(o.id), { eventState: EVENT_STATE.NORMAL, ackedTransitions: [true, true, true], timeStamps: [...INITIAL_TIMESTAMPS], pending: null });
    }
    for (const a of snap.alarms) this.countAlarm(a, 1);
    for (const r of snap.relays) this.priorityArrays.set(r.id, new Array<boolean | null>(16).fill(null));
    this.databaseRevision = hashObjects(this.objects);
    this.servicesSupported = serviceBits(servicesSupported(options));
    this.objectTypesSupported = [...new Set(this.objects.map((o) => o.id.type))].sort((a, b) => a - b);
    this.socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    this.socket.on('error', (e) => this.problems.warn('socket', `socket error: ${e.message}`));
    this.unsubscribe = site.subscribe((e) => {
      if (e.type === 'values' || e.type === 'thresholds') this.scheduleEvaluate();
      else if (e.type === 'alarm' && !this.closed) this.onAlarm(e.action, e.alarm);
    });
  }

  get objectList(): { type: number; instance: number; name: string }[] {
    return this.objects.map((o) => ({ type: o.id.type, instance: o.id.instance, name: o.name }));
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.socket.once('error', onError);
      this.socket.bind(this.options.port ?? 47808, this.address, () => {
        this.socket.off('error', onError);
        try {
          this.socket.setBroadcast(true);
        } catch {
          // Broadcast is only needed for I-Am announcements; unicast replies work without it.
        }
        resolve();
      });
    });
    this.boundPort = this.socket.address().port;
    const tick = setInterval(() => this.tick(), 1000);
    tick.unref();
    this.timers.push(tick);
    if (this.options.bbmd) this.startForeignRegistration(this.options.bbmd.address, this.options.bbmd.ttlS ?? 300);
    this.evaluate();
    if (this.options.announce ?? true) this.announce();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const t of this.timers) clearInterval(t);
    if (this.dccTimer) clearTimeout(this.dccTimer);
    for (const tx of this.segmented.values()) if (tx.timer) clearTimeout(tx.timer);
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.resolve(false);
    }
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  // ---- DeviceView -------------------------------------------------------------------------

  eventInfo(object: BacnetObject): EventInfo | undefined {
    return this.events.get(objectKey(object.id));
  }

  priorityArray(relay: number): readonly (boolean | null)[] {
    return this.priorityArrays.get(relay) ?? [];
  }

  covSubscriptions(): readonly CovSubscriptionView[] {
    const now = this.site.now();
    return [...this.subscriptions.values()].map((s) => ({
      address: s.mac, processId: s.processId, object: s.object.id, confirmed: s.confirmed,
      timeRemainingS: s.expiresAtMs === null ? 0 : Math.max(0, Math.ceil((s.expiresAtMs - now) / 1000)), covIncrement: s.object.analog ? s.object.analog.covIncrement : null,
    }));
  }

  now(): number {
    return this.site.now();
  }

  // ---- receive path -----------------------------------------------------------------------

  private onDatagram(d: Buffer, rinfo: RemoteInfo): void {
    try {
      this.handle(d, rinfo);
    } catch (e) {
      this.problems.warn('internal', `request from ${rinfo.address}:${rinfo.port} failed: ${(e as Error).stack ?? String(e)}`);
    }
  }

  private handle(d: Buffer, rinfo: RemoteInfo): void {
    // A request can arrive before the coalesced evaluation of the last change: answer from the present.
    if (this.evaluateScheduled) this.evaluate();
    const from: Peer = { host: rinfo.address, port: rinfo.port, dest: null, key: `${rinfo.address}:${rinfo.port}` };
    const r = decodeFrame(d);
    if (!r.ok) {
      if (r.bvlcFunction === BVLC.RESULT) return this.onBvlcResult(d, from);
      if (r.bvlcFunction !== undefined && BVLC_NAK[r.bvlcFunction] !== undefined) {
        this.sendRaw(bvlcResult(BVLC_NAK[r.bvlcFunction]), from);
      }
      if (r.rejectInvokeId !== undefined) this.sendReject(from, r.rejectInvokeId, RejectReason.MISSING_REQUIRED_PARAMETER);
      this.problems.warn('malformed', `dropped a datagram from ${from.key}: ${r.drop}`);
      return;
    }
    const f = r.frame;
    if (f.remoteDestination) return; // for another network: this device is not a router
    if (f.originator !== null && !this.isFromBbmd(from)) {
      // Only the BBMD this device registered with forwards to it (J.5); from anyone else a
      // Forwarded-NPDU would make this device answer (and amplify towards) a third party.
      this.problems.warn('forwarded-not-bbmd', `dropped a Forwarded-NPDU from ${from.key}: not the configured BBMD (bacnet.bbmd)`);
      return;
    }
    const origin = f.originator ?? from.key;
    const [host, port] = origin.split(':');
    if (!isUnicastPeer(host, Number(port))) {
      this.problems.warn('forwarded-bad-originator', `dropped a Forwarded-NPDU from ${from.key}: originator ${origin} is not a unicast B/IP address`);
      return;
    }
    const peer: Peer = { host, port: Number(port), dest: f.source, key: f.source ? `${origin}/${f.source.net}:${f.source.adr.toString('hex')}` : origin };
    const a = f.apdu;
    switch (a.kind) {
      case 'confirmed':
        if (this.dcc === 'disable' && a.service !== CONFIRMED.DEVICE_COMMUNICATION_CONTROL && a.service !== CONFIRMED.REINITIALIZE_DEVICE) return;
        if (a.segmented) return this.sendAbort(peer, a.invokeId, AbortReason.SEGMENTATION_NOT_SUPPORTED);
        if (this.segmented.has(`${peer.key}#${a.invokeId}`)) return; // a retry while the segmented answer is still in flight
        this.confirmed(d, f, peer, a);
        return;
      case 'unconfirmed':
        if (this.dcc === 'disable') return;
        this.unconfirmed(d, peer, a.service, a.bodyOffset);
        return;
      case 'segment-ack':
        if (!a.server) this.onSegmentAck(peer, a.invokeId, a.sequenceNumber, a.windowSize);
        return;
      case 'simple-ack':
      case 'complex-ack':
        this.settle(a.invokeId, peer, true);
        return;
      case 'error':
      case 'reject':
      case 'abort':
        if (a.kind === 'abort' && !a.server) {
          const tx = this.segmented.get(`${peer.key}#${a.invokeId}`);
          if (tx) return this.endSegmented(tx);
        }
        this.settle(a.invokeId, peer, false);
        return;
    }
  }

  private confirmed(d: Buffer, f: Frame, peer: Peer, a: Extract<Frame['apdu'], { kind: 'confirmed' }>): void {
    const reader = new TagReader(d, a.bodyOffset, d.length);
    const respond = (reply: Reply) => this.respond(peer, a, reply);
    // A request that does not decode is rejected whether its handler is synchronous or not
    // (WriteProperty is async: its decode errors arrive as a rejected promise).
    const refused = (e: unknown): boolean => {
      if (e instanceof DecodeError) {
        this.problems.warn('reject', `rejected service ${a.service} from ${peer.key}: ${e.message}`);
        respond({ kind: 'reject', reason: e.reason });
        return true;
      }
      if (e instanceof TooLong) {
        this.sendAbort(peer, a.invokeId, AbortReason.APDU_TOO_LONG);
        return true;
      }
      return false;
    };
    let reply: Reply | Promise<Reply>;
    try {
      reply = this.dispatch(a.service, reader, peer);
    } catch (e) {
      if (refused(e)) return;
      throw e;
    }
    if (reply instanceof Promise) {
      reply.then(respond, (e) => {
        if (refused(e)) return;
        this.problems.warn('service-failed', `service ${a.service} from ${peer.key} failed: ${(e as Error).message}`);
        this.sendAbort(peer, a.invokeId, AbortReason.OTHER);
      });
    } else respond(reply);
    void f;
  }

  private dispatch(service: number, r: TagReader, peer: Peer): Reply | Promise<Reply> {
    switch (service) {
      case CONFIRMED.READ_PROPERTY: return this.readProperty(r);
      case CONFIRMED.READ_PROPERTY_MULTIPLE: return this.readPropertyMultiple(r);
      case CONFIRMED.WRITE_PROPERTY: return this.writeProperty(r, peer);
      case CONFIRMED.SUBSCRIBE_COV: return this.subscribeCov(r, peer);
      case CONFIRMED.GET_EVENT_INFORMATION: return this.getEventInformation(r);
      case CONFIRMED.ACKNOWLEDGE_ALARM: return this.acknowledgeAlarm(r);
      case CONFIRMED.DEVICE_COMMUNICATION_CONTROL:
        if (this.options.dccPassword) return this.deviceCommunicationControl(r);
        return { kind: 'reject', reason: RejectReason.UNRECOGNIZED_SERVICE };
      default:
        return { kind: 'reject', reason: RejectReason.UNRECOGNIZED_SERVICE };
    }
  }

  private unconfirmed(d: Buffer, peer: Peer, service: number, offset: number): void {
    const r = new TagReader(d, offset, d.length);
    try {
      if (service === UNCONFIRMED.WHO_IS) this.whoIs(r, peer);
      else if (service === UNCONFIRMED.WHO_HAS) this.whoHas(r, peer);
      // I-Am, I-Have, notifications and time synchronization from others need nothing from us.
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.problems.warn('unconfirmed-malformed', `ignored malformed unconfirmed service ${service} from ${peer.key}: ${e.message}`);
    }
  }

  // ---- services ---------------------------------------------------------------------------

  private whoIs(r: TagReader, peer: Peer): void {
    let lo = 0;
    let hi = 4194303;
    if (!r.atEnd()) {
      lo = r.contextUnsigned(0);
      hi = r.contextUnsigned(1);
    }
    r.done();
    if (this.deviceInstance < lo || this.deviceInstance > hi) return;
    this.sendIAm(peer);
  }

  private whoHas(r: TagReader, peer: Peer): void {
    let lo = 0;
    let hi = 4194303;
    if (r.isContext(0)) {
      lo = r.contextUnsigned(0);
      hi = r.contextUnsigned(1);
    }
    let obj: BacnetObject | undefined;
    if (r.isContext(2)) {
      const id = r.contextObjectId(2);
      obj = this.findObject(id);
    } else obj = this.byName.get(r.contextCharacterString(3));
    r.done();
    if (!obj || this.deviceInstance < lo || this.deviceInstance > hi || this.dcc !== 'enable') return;
    this.sendUnconfirmed(peer, UNCONFIRMED.I_HAVE, (b) => IHave.encode(b, { type: OT.DEVICE, instance: this.deviceInstance }, obj!.id, obj!.name));
  }

  private readProperty(r: TagReader): Reply {
    const id = r.contextObjectId(0);
    const prop = r.contextEnumerated(1);
    const index = r.isContext(2) ? r.contextUnsigned(2) : null;
    r.done();
    const obj = this.findObject(id);
    if (!obj) return { kind: 'error', error: ERR.UNKNOWN_OBJECT };
    if (prop === P.ALL || prop === P.REQUIRED || prop === P.OPTIONAL) return { kind: 'error', error: ERR.UNKNOWN_PROPERTY };
    const ctx = this.context();
    const values = this.readValues(obj, prop, index, ctx);
    if (!Array.isArray(values)) return { kind: 'error', error: values as PropertyError };
    return {
      kind: 'complex',
      encode: (b) => {
        asn1.encodeContextObjectId(b, 0, obj.id.type, obj.id.instance);
        asn1.encodeContextEnumerated(b, 1, prop);
        if (index !== null) asn1.encodeContextUnsigned(b, 2, index);
        asn1.encodeOpeningTag(b, 3);
        for (const v of values) encodeValue(b, v);
        asn1.encodeClosingTag(b, 3);
      },
    };
  }

  private readPropertyMultiple(r: TagReader): Reply {
    const specs: { id: ObjectId; props: { id: number; index: number | null }[] }[] = [];
    while (!r.atEnd()) {
      const id = r.contextObjectId(0);
      r.opening(1);
      const props: { id: number; index: number | null }[] = [];
      while (!r.isClosing(1)) {
        const pid = r.contextEnumerated(0);
        props.push({ id: pid, index: r.isContext(1) ? r.contextUnsigned(1) : null });
      }
      r.closing(1);
      if (!props.length) throw new DecodeError(RejectReason.MISSING_REQUIRED_PARAMETER, 'empty list of property references');
      specs.push({ id, props });
    }
    if (!specs.length) throw new DecodeError(RejectReason.MISSING_REQUIRED_PARAMETER, 'no read access specification');
    const ctx = this.context();
    return {
      kind: 'complex',
      encode: (b) => {
        for (const spec of specs) {
          asn1.encodeContextObjectId(b, 0, spec.id.type, spec.id.instance);
          asn1.encodeOpeningTag(b, 1);
          const obj = this.findObject(spec.id);
          for (const ref of spec.props) {
            if (!obj) {
              writeResult(b, ref.id, ref.index, ERR.UNKNOWN_OBJECT);
              continue;
            }
            if (ref.id === P.ALL || ref.id === P.REQUIRED || ref.id === P.OPTIONAL) {
              // Property_List is not part of ALL/REQUIRED (15.7.3.1.2).
              const defs = obj.properties.filter((p) => p.id !== P.PROPERTY_LIST && (ref.id === P.ALL || (ref.id === P.REQUIRED) === p.required));
              for (const def of defs) writeResult(b, def.id, null, def.read(ctx));
              continue;
            }
            writeResult(b, ref.id, ref.index, this.readValues(obj, ref.id, ref.index, ctx));
            if (b.offset > ENCODE_LIMIT) throw new TooLong();
          }
          asn1.encodeClosingTag(b, 1);
          if (b.offset > ENCODE_LIMIT) throw new TooLong();
        }
      },
    };
  }

  private readValues(obj: BacnetObject, prop: number, index: number | null, ctx: ReadContext): readonly Value[] | PropertyError {
    const def: PropertyDef | undefined = obj.byId.get(prop);
    if (!def) return ERR.UNKNOWN_PROPERTY;
    const values = def.read(ctx);
    if (index === null) return values;
    if (!def.array) return ERR.PROPERTY_IS_NOT_AN_ARRAY;
    if (index === 0) return [V.uint(values.length)];
    if (index > values.length) return ERR.INVALID_ARRAY_INDEX;
    return [values[index - 1]];
  }

  private async writeProperty(r: TagReader, peer: Peer): Promise<Reply> {
    const id = r.contextObjectId(0);
    const prop = r.contextEnumerated(1);
    const index = r.isContext(2) ? r.contextUnsigned(2) : null;
    r.opening(3);
    const values = [];
    while (!r.isClosing(3)) values.push(r.application());
    r.closing(3);
    const priority = r.isContext(4) ? r.contextUnsigned(4) : 16;
    r.done();
    if (priority < 1 || priority > 16) return { kind: 'reject', reason: RejectReason.PARAMETER_OUT_OF_RANGE };
    const obj = this.findObject(id);
    if (!obj) return { kind: 'error', error: ERR.UNKNOWN_OBJECT };
    if (!obj.byId.has(prop)) return { kind: 'error', error: ERR.UNKNOWN_PROPERTY };
    if (obj.relay === undefined || prop !== P.PRESENT_VALUE) return { kind: 'error', error: ERR.WRITE_ACCESS_DENIED };
    if (index !== null) return { kind: 'error', error: ERR.PROPERTY_IS_NOT_AN_ARRAY };
    if (values.length !== 1) return { kind: 'error', error: ERR.INVALID_DATA_TYPE };
    const v = values[0];
    let slot: boolean | null;
    if (v.tag === 0) slot = null;
    else if (v.tag === 9 && (v.value === 0 || v.value === 1)) slot = v.value === 1;
    else if (v.tag === 9) return { kind: 'error', error: ERR.VALUE_OUT_OF_RANGE };
    else return { kind: 'error', error: ERR.INVALID_DATA_TYPE };
    // Priority 6 is reserved for minimum on/off time (19.2.1.1).
    if (priority === 6) return { kind: 'error', error: ERR.WRITE_ACCESS_DENIED };
    const commands = this.options.commands;
    if (!commands || !commands.allows('bacnet', 'set-relay')) return { kind: 'error', error: ERR.WRITE_ACCESS_DENIED };
    const array = [...(this.priorityArrays.get(obj.relay) ?? [])];
    array[priority - 1] = slot;
    const effective = array.find((x) => x !== null) ?? false; // Relinquish_Default: inactive
    const current = this.site.snapshot().relays[obj.relay - 1].on;
    if (effective !== current) {
      try {
        await commands.submit({ type: 'set-relay', relay: obj.relay, on: effective }, { protocol: 'bacnet', remote: peer.key });
      } catch (e) {
        const code = e instanceof CommandError ? e.code : 'failed';
        this.problems.warn(`write:${code}`, `WriteProperty from ${peer.key} refused by the command interface: ${(e as Error).message}`);
        return { kind: 'error', error: code === 'forbidden' ? ERR.WRITE_ACCESS_DENIED : code === 'invalid' || code === 'not-found' ? ERR.VALUE_OUT_OF_RANGE : ERR.OTHER_DEVICE };
      }
    }
    this.priorityArrays.set(obj.relay, array);
    this.scheduleEvaluate();
    return { kind: 'simple' };
  }

  private subscribeCov(r: TagReader, peer: Peer): Reply {
    const processId = r.contextUnsigned(0);
    const id = r.contextObjectId(1);
    const hasConfirmed = r.isContext(2);
    const confirmed = hasConfirmed ? r.contextBoolean(2) : false;
    const hasLifetime = r.isContext(3);
    const lifetimeS = hasLifetime ? r.contextUnsigned(3) : 0;
    r.done();
    const key = `${peer.key}|${processId}|${objectKey(id)}`;
    if (!hasConfirmed && !hasLifetime) {
      this.subscriptions.delete(key); // cancelling one that does not exist is not an error (13.14.1.1.4)
      return { kind: 'simple' };
    }
    if (!hasConfirmed) throw new DecodeError(RejectReason.MISSING_REQUIRED_PARAMETER, 'issueConfirmedNotifications is required with a lifetime');
    const obj = this.findObject(id);
    if (!obj) return { kind: 'error', error: ERR.UNKNOWN_OBJECT };
    if (!obj.presentValue || !obj.statusFlags) return { kind: 'error', error: ERR.OPTIONAL_FUNCTIONALITY_NOT_SUPPORTED };
    if (!this.subscriptions.has(key)) {
      if (this.subscriptions.size >= (this.options.maxSubscriptions ?? 256)) return { kind: 'error', error: ERR.COV_SUBSCRIPTION_FAILED };
      let mine = 0;
      for (const s of this.subscriptions.values()) if (s.peer.host === peer.host) mine++;
      if (mine >= (this.options.maxSubscriptionsPerSubscriber ?? 64)) {
        this.problems.warn('cov-cap', `refused a COV subscription from ${peer.key}: ${mine} already held for ${peer.host} (bacnet.maxSubscriptionsPerSubscriber)`);
        return { kind: 'error', error: ERR.COV_SUBSCRIPTION_FAILED };
      }
    }
    // An indefinite (0) or longer request is granted for at most maxCovLifetimeS: a subscriber
    // that is gone stops costing notifications, one that is there renews as clients do.
    const maxLifetimeS = this.options.maxCovLifetimeS ?? 28_800;
    const grantedS = lifetimeS === 0 ? maxLifetimeS : Math.min(lifetimeS, maxLifetimeS);
    const sub: Subscription = {
      peer, mac: macOf(peer), processId, object: obj, confirmed, lifetimeS: grantedS,
      expiresAtMs: this.site.now() + grantedS * 1000, lastValue: null, lastFlags: '',
    };
    this.subscriptions.set(key, sub);
    // The initial notification follows the SimpleACK (13.1.2).
    this.later('initial COV notification', () => {
      if (this.subscriptions.get(key) === sub) this.notifyCov(sub, this.context());
    });
    return { kind: 'simple' };
  }

  private deviceCommunicationControl(r: TagReader): Reply {
    const minutes = r.isContext(0) ? r.contextUnsigned(0) : 0;
    const mode = r.contextEnumerated(1);
    const password = r.isContext(2) ? r.contextCharacterString(2) : '';
    r.done();
    if (mode > 2) return { kind: 'reject', reason: RejectReason.UNDEFINED_ENUMERATION };
    if (password.length > 20) return { kind: 'reject', reason: RejectReason.PARAMETER_OUT_OF_RANGE };
    if (password !== this.options.dccPassword) return { kind: 'error', error: ERR.PASSWORD_FAILURE };
    this.dcc = (['enable', 'disable', 'disable-initiation'] as const)[mode];
    if (this.dccTimer) clearTimeout(this.dccTimer);
    this.dccTimer = null;
    if (this.dcc !== 'enable' && minutes > 0) {
      this.dccTimer = setTimeout(() => {
        this.dcc = 'enable';
        this.log.info('communication re-enabled after the DeviceCommunicationControl duration');
      }, minutes * 60_000);
      this.dccTimer.unref();
    }
    this.log.info(`DeviceCommunicationControl: ${this.dcc}${minutes ? ` for ${minutes} min` : ''}`);
    return { kind: 'simple' };
  }

  private getEventInformation(r: TagReader): Reply {
    const last = r.isContext(0) ? r.contextObjectId(0) : null;
    r.done();
    const active = this.objects.filter((o) => {
      const e = this.events.get(objectKey(o.id));
      return e && (e.eventState !== EVENT_STATE.NORMAL || e.ackedTransitions.some((x) => !x));
    });
    let start = 0;
    if (last) start = active.findIndex((o) => o.id.type === last.type && o.id.instance === last.instance) + 1;
    const PAGE = 20;
    const page = active.slice(start, start + PAGE);
    const more = start + PAGE < active.length;
    return {
      kind: 'complex',
      encode: (b) => {
        asn1.encodeOpeningTag(b, 0);
        for (const o of page) {
          const e = this.events.get(objectKey(o.id))!;
          asn1.encodeContextObjectId(b, 0, o.id.type, o.id.instance);
          asn1.encodeContextEnumerated(b, 1, e.eventState);
          asn1.encodeContextBitstring(b, 2, bitString(3, e.ackedTransitions.flatMap((x, i) => (x ? [i] : []))));
          asn1.encodeOpeningTag(b, 3);
          for (const ts of e.timeStamps) encodeTimeStamp(b, ts);
          asn1.encodeClosingTag(b, 3);
          asn1.encodeContextEnumerated(b, 4, 0); // alarm
          asn1.encodeContextBitstring(b, 5, bitString(3, [...EVENT_ENABLE]));
          asn1.encodeOpeningTag(b, 6);
          for (const p of this.notificationPriorities) asn1.encodeApplicationUnsigned(b, p);
          asn1.encodeClosingTag(b, 6);
        }
        asn1.encodeClosingTag(b, 0);
        asn1.encodeContextBoolean(b, 1, more);
      },
    };
  }

  private acknowledgeAlarm(r: TagReader): Reply {
    r.contextUnsigned(0);
    const id = r.contextObjectId(1);
    const state = r.contextEnumerated(2);
    r.opening(3);
    const tsStart = r.pos;
    r.skipElement();
    const stamp = r.bytes(tsStart, r.pos);
    r.closing(3);
    r.contextCharacterString(4);
    r.opening(5);
    r.skipElement();
    r.closing(5);
    r.done();
    const obj = this.findObject(id);
    if (!obj) return { kind: 'error', error: ERR.UNKNOWN_OBJECT };
    const e = this.events.get(objectKey(obj.id));
    if (!e) return { kind: 'error', error: ERR.INVALID_EVENT_STATE };
    const category = transitionOf(state);
    if (category < 0) return { kind: 'error', error: ERR.INVALID_EVENT_STATE };
    const ours = this.scratchEncode((b) => encodeTimeStamp(b, e.timeStamps[category]));
    if (!ours.equals(stamp)) return { kind: 'error', error: ERR.INVALID_TIME_STAMP };
    if (!e.ackedTransitions[category]) {
      e.ackedTransitions[category] = true;
      this.sendEventNotifications(obj, e, { ack: true, category, toState: state, fromState: state, timeStamp: e.timeStamps[category] });
    }
    return { kind: 'simple' };
  }

  // ---- replies ----------------------------------------------------------------------------

  private respond(peer: Peer, a: Extract<Frame['apdu'], { kind: 'confirmed' }>, reply: Reply): void {
    const b = this.sendBuf;
    switch (reply.kind) {
      case 'none':
        return;
      case 'simple': {
        const off = writeHeader(b, BVLC.ORIGINAL_UNICAST, { dest: peer.dest });
        b[off] = PDU.SIMPLE_ACK << 4;
        b[off + 1] = a.invokeId;
        b[off + 2] = a.service;
        return this.sendRaw(finishBvlc(b, off + 3), peer);
      }
      case 'reject':
        return this.sendReject(peer, a.invokeId, reply.reason);
      case 'error': {
        const off = writeHeader(b, BVLC.ORIGINAL_UNICAST, { dest: peer.dest });
        b[off] = PDU.ERROR << 4;
        b[off + 1] = a.invokeId;
        b[off + 2] = a.service;
        const eb = { buffer: b, offset: off + 3 };
        asn1.encodeApplicationEnumerated(eb, reply.error.errorClass);
        asn1.encodeApplicationEnumerated(eb, reply.error.errorCode);
        return this.sendRaw(finishBvlc(b, eb.offset), peer);
      }
      case 'complex': {
        let body: Buffer;
        try {
          body = this.scratchEncode(reply.encode);
        } catch (e) {
          if (e instanceof TooLong || e instanceof RangeError) return this.sendAbort(peer, a.invokeId, AbortReason.APDU_TOO_LONG);
          throw e;
        }
        const maxApdu = Math.min(a.maxApdu, MAX_APDU);
        if (body.length + 3 <= maxApdu) {
          const off = writeHeader(b, BVLC.ORIGINAL_UNICAST, { dest: peer.dest });
          b[off] = PDU.COMPLEX_ACK << 4;
          b[off + 1] = a.invokeId;
          b[off + 2] = a.service;
          body.copy(b, off + 3);
          return this.sendRaw(finishBvlc(b, off + 3 + body.length), peer);
        }
        if (!a.segmentedResponseAccepted) return this.sendAbort(peer, a.invokeId, AbortReason.SEGMENTATION_NOT_SUPPORTED);
        const chunk = maxApdu - 5;
        const count = Math.ceil(body.length / chunk);
        const limit = Math.min(MAX_RESPONSE_SEGMENTS, a.maxSegments === 0 ? MAX_RESPONSE_SEGMENTS : a.maxSegments);
        if (count > limit) return this.sendAbort(peer, a.invokeId, AbortReason.APDU_TOO_LONG);
        const chunks: Buffer[] = [];
        for (let i = 0; i < count; i++) chunks.push(Buffer.from(body.subarray(i * chunk, (i + 1) * chunk)));
        const tx: SegmentedTx = { peer, invokeId: a.invokeId, service: a.service, chunks, window: 1, base: 0, retries: 0, timer: null };
        this.segmented.set(`${peer.key}#${a.invokeId}`, tx);
        this.sendWindow(tx);
        return;
      }
    }
  }

  private sendWindow(tx: SegmentedTx): void {
    const last = tx.chunks.length - 1;
    for (let seq = tx.base; seq <= Math.min(last, tx.base + tx.window - 1); seq++) {
      const b = this.sendBuf;
      const off = writeHeader(b, BVLC.ORIGINAL_UNICAST, { dest: tx.peer.dest });
      b[off] = (PDU.COMPLEX_ACK << 4) | 0x08 | (seq < last ? 0x04 : 0);
      b[off + 1] = tx.invokeId;
      b[off + 2] = seq & 0xff;
      b[off + 3] = PROPOSED_WINDOW;
      b[off + 4] = tx.service;
      tx.chunks[seq].copy(b, off + 5);
      this.sendRaw(finishBvlc(b, off + 5 + tx.chunks[seq].length), tx.peer);
    }
    if (tx.timer) clearTimeout(tx.timer);
    tx.timer = setTimeout(() => {
      if (++tx.retries > this.apduRetries) return this.endSegmented(tx);
      this.sendWindow(tx);
    }, this.apduTimeoutMs);
    tx.timer.unref();
  }

  private onSegmentAck(peer: Peer, invokeId: number, seq: number, window: number): void {
    const tx = this.segmented.get(`${peer.key}#${invokeId}`);
    if (!tx) return;
    if (seq >= tx.chunks.length - 1) return this.endSegmented(tx);
    if (window < 1 || window > 127) {
      this.endSegmented(tx);
      return this.sendAbort(peer, invokeId, AbortReason.WINDOW_SIZE_OUT_OF_RANGE);
    }
    tx.window = Math.min(window, PROPOSED_WINDOW);
    tx.base = seq + 1;
    tx.retries = 0;
    this.sendWindow(tx);
  }

  private endSegmented(tx: SegmentedTx): void {
    if (tx.timer) clearTimeout(tx.timer);
    this.segmented.delete(`${tx.peer.key}#${tx.invokeId}`);
  }

  private sendReject(peer: Peer, invokeId: number, reason: number): void {
    const b = this.sendBuf;
    const off = writeHeader(b, BVLC.ORIGINAL_UNICAST, { dest: peer.dest });
    b[off] = PDU.REJECT << 4;
    b[off + 1] = invokeId;
    b[off + 2] = reason;
    this.sendRaw(finishBvlc(b, off + 3), peer);
  }

  private sendAbort(peer: Peer, invokeId: number, reason: number): void {
    const b = this.sendBuf;
    const off = writeHeader(b, BVLC.ORIGINAL_UNICAST, { dest: peer.dest });
    b[off] = (PDU.ABORT << 4) | 0x01; // sent by the server
    b[off + 1] = invokeId;
    b[off + 2] = reason;
    this.sendRaw(finishBvlc(b, off + 3), peer);
  }

  private sendUnconfirmed(peer: Peer | null, service: number, encode: (b: EncodeBuffer) => void): void {
    const b = this.sendBuf;
    let fn: number = BVLC.ORIGINAL_UNICAST;
    let to = peer;
    if (!peer) {
      // A foreign device broadcasts through its BBMD (J.5.3).
      if (this.bbmdPeer && this.registered) {
        fn = BVLC.DISTRIBUTE_BROADCAST;
        to = this.bbmdPeer;
      } else {
        fn = BVLC.ORIGINAL_BROADCAST;
        to = { host: this.options.broadcastAddress ?? '255.255.255.255', port: this.boundPort, dest: null, key: 'broadcast' };
      }
    }
    const off = writeHeader(b, fn, { dest: peer?.dest ?? null });
    b[off] = PDU.UNCONFIRMED_REQUEST << 4;
    b[off + 1] = service;
    const eb = { buffer: b, offset: off + 2 };
    encode(eb);
    this.sendRaw(finishBvlc(b, eb.offset), to!);
  }

  /** Sends a confirmed request (notifications), retried until acknowledged; resolves false when it never was. */
  private sendConfirmed(peer: Peer, service: number, encode: (b: EncodeBuffer) => void): Promise<boolean> {
    const invokeId = this.nextInvokeId();
    if (invokeId === null) return Promise.resolve(false);
    const b = Buffer.allocUnsafe(MAX_APDU + 64);
    const off = writeHeader(b, BVLC.ORIGINAL_UNICAST, { dest: peer.dest, expectingReply: true });
    b[off] = PDU.CONFIRMED_REQUEST << 4;
    b[off + 1] = 0x05; // max segments unspecified, max APDU 1476
    b[off + 2] = invokeId;
    b[off + 3] = service;
    const eb = { buffer: b, offset: off + 4 };
    encode(eb);
    const datagram = finishBvlc(b, eb.offset);
    return new Promise((resolve) => {
      const p: PendingRequest = { resolve, datagram, peer, retries: 0, timer: null };
      const attempt = () => {
        this.sendRaw(datagram, peer);
        p.timer = setTimeout(() => {
          if (++p.retries > this.apduRetries) {
            this.pending.delete(invokeId);
            this.problems.warn('no-ack', `${peer.key} did not acknowledge a confirmed notification after ${this.apduRetries} retries`);
            resolve(false);
          } else attempt();
        }, this.apduTimeoutMs);
        p.timer.unref();
      };
      this.pending.set(invokeId, p);
      attempt();
    });
  }

  private nextInvokeId(): number | null {
    for (let i = 0; i < 256; i++) {
      const id = this.invokeCounter;
      this.invokeCounter = (this.invokeCounter + 1) & 0xff;
      if (!this.pending.has(id)) return id;
    }
    return null;
  }

  private settle(invokeId: number, peer: Peer, ok: boolean): void {
    const p = this.pending.get(invokeId);
    if (!p || p.peer.host !== peer.host || p.peer.port !== peer.port) return;
    if (p.timer) clearTimeout(p.timer);
    this.pending.delete(invokeId);
    p.resolve(ok);
  }

  private sendRaw(d: Buffer, peer: Peer): void {
    if (this.closed) return;
    try {
      // dgram copies only when the send is queued: pass a copy so the shared send buffer can be reused.
      this.socket.send(Buffer.from(d), peer.port, peer.host, (e) => {
        if (e) this.problems.warn('send', `send to ${peer.key} failed: ${e.message}`);
      });
    } catch (e) {
      // dgram throws synchronously on a bad port or address; no peer may take the device down.
      this.problems.warn('send', `send to ${peer.key} failed: ${(e as Error).message}`);
    }
  }

  /** Runs `fn` on the next turn of the event loop; an error there is logged, never thrown out of the loop. */
  private later(what: string, fn: () => void): void {
    setImmediate(() => {
      try {
        fn();
      } catch (e) {
        this.problems.warn('internal', `${what} failed: ${(e as Error).stack ?? String(e)}`);
      }
    });
  }

  private isFromBbmd(from: Peer): boolean {
    return this.bbmdPeer !== null && from.host === this.bbmdPeer.host && from.port === this.bbmdPeer.port;
  }

  private scratchEncode(encode: (b: EncodeBuffer) => void): Buffer {
    const eb = { buffer: this.scratch, offset: 0 };
    encode(eb);
    if (eb.offset > ENCODE_LIMIT) throw new TooLong();
    return Buffer.from(this.scratch.subarray(0, eb.offset));
  }

  announce(): void {
    if (this.dcc !== 'enable' || this.closed) return;
    this.sendIAm(null);
  }

  private sendIAm(peer: Peer | null): void {
    this.sendUnconfirmed(peer, UNCONFIRMED.I_AM, (b) => IAm.encode(b, this.deviceInstance, MAX_APDU, 1, this.vendorId));
  }

  // ---- COV and intrinsic reporting --------------------------------------------------------

  private scheduleEvaluate(): void {
    if (this.evaluateScheduled || this.closed) return;
    this.evaluateScheduled = true;
    this.later('COV and event evaluation', () => {
      this.evaluateScheduled = false;
      if (!this.closed) this.evaluate();
    });
  }

  private tick(): void {
    const now = this.site.now();
    for (const [key, s] of this.subscriptions) if (s.expiresAtMs !== null && s.expiresAtMs <= now) this.subscriptions.delete(key);
    this.evaluate();
  }

  private evaluate(): void {
    const ctx = this.context();
    const now = this.site.now();
    for (const o of this.objects) {
      const e = this.events.get(objectKey(o.id));
      if (!e) continue;
      if (o.alarm) this.evaluateChangeOfState(o, e, now);
      else this.evaluateEvent(o, e, ctx, now);
    }
    for (const s of this.subscriptions.values()) {
      const pv = s.object.presentValue!(ctx);
      const flags = JSON.stringify(s.object.statusFlags!(ctx));
      const inc = s.object.analog?.covIncrement;
      const moved = s.lastValue === null || (inc !== undefined ? Math.abs(pv - s.lastValue) >= inc : pv !== s.lastValue);
      if (moved || flags !== s.lastFlags) this.notifyCov(s, ctx);
    }
  }

  private notifyCov(s: Subscription, ctx: ReadContext): void {
    const pv = s.object.presentValue!(ctx);
    const flags = s.object.statusFlags!(ctx);
    s.lastValue = pv;
    s.lastFlags = JSON.stringify(flags);
    if (this.dcc !== 'enable') return;
    const pvValue = s.object.byId.get(P.PRESENT_VALUE)!.read(ctx)[0];
    const remaining = s.expiresAtMs === null ? 0 : Math.max(0, Math.ceil((s.expiresAtMs - this.site.now()) / 1000));
    // Our own encoding: @bacnet-js/client's CovNotify writes the array index and priority when they are absent.
    const encode = (b: EncodeBuffer) => {
      asn1.encodeContextUnsigned(b, 0, s.processId);
      asn1.encodeContextObjectId(b, 1, OT.DEVICE, this.deviceInstance);
      asn1.encodeContextObjectId(b, 2, s.object.id.type, s.object.id.instance);
      asn1.encodeContextUnsigned(b, 3, remaining);
      asn1.encodeOpeningTag(b, 4);
      for (const [prop, v] of [[P.PRESENT_VALUE, pvValue], [P.STATUS_FLAGS, flags]] as const) {
        asn1.encodeContextEnumerated(b, 0, prop);
        asn1.encodeOpeningTag(b, 2);
        encodeValue(b, v);
        asn1.encodeClosingTag(b, 2);
      }
      asn1.encodeClosingTag(b, 4);
    };
    if (s.confirmed) void this.sendConfirmed(s.peer, CONFIRMED.CONFIRMED_COV_NOTIFICATION, encode);
    else this.sendUnconfirmed(s.peer, UNCONFIRMED.UNCONFIRMED_COV_NOTIFICATION, encode);
  }

  /** OUT_OF_RANGE (13.3.6) with Time_Delay, plus FAULT while the reading is unreliable. */
  private evaluateEvent(o: BacnetObject, e: EventTrack, ctx: ReadContext, now: number): void {
    const a = o.analog!;
    const m = a.point.read(ctx.snap, a.n);
    const th = limitsOf(ctx.snap, a.point.limits!(a.n));
    let target = e.eventState;
    if (reliabilityOf(m.quality) !== 0) target = EVENT_STATE.FAULT;
    else if (m.value !== null && th) {
      const v = m.value;
      const high = th.alarmHigh ?? null;
      const low = th.alarmLow ?? null;
      const db = th.hysteresis;
      const cur = e.eventState === EVENT_STATE.FAULT ? EVENT_STATE.NORMAL : e.eventState;
      if (cur === EVENT_STATE.HIGH_LIMIT) target = low !== null && v < low ? EVENT_STATE.LOW_LIMIT : high === null || v < high - db ? EVENT_STATE.NORMAL : cur;
      else if (cur === EVENT_STATE.LOW_LIMIT) target = high !== null && v > high ? EVENT_STATE.HIGH_LIMIT : low === null || v > low + db ? EVENT_STATE.NORMAL : cur;
      else target = high !== null && v > high ? EVENT_STATE.HIGH_LIMIT : low !== null && v < low ? EVENT_STATE.LOW_LIMIT : EVENT_STATE.NORMAL;
      if (e.eventState === EVENT_STATE.FAULT) {
        // Leaving FAULT goes to NORMAL first; the limits are checked again from there.
        e.pending = null;
        return this.transition(o, e, EVENT_STATE.NORMAL, ctx, now);
      }
    }
    if (target === e.eventState) {
      e.pending = null;
      return;
    }
    const delayMs = target === EVENT_STATE.FAULT ? 0 : Math.round((th?.delayMs ?? 0) / 1000) * 1000;
    if (!e.pending || e.pending.target !== target) e.pending = { target, sinceMs: now };
    if (now - e.pending.sinceMs >= delayMs) {
      e.pending = null;
      this.transition(o, e, target, ctx, now);
    }
  }

  /**
   * A core alarm raised or cleared: the alarm objects it concerns transition at once, without a
   * snapshot, so their notifications leave within a fraction of a millisecond of the alarm; the
   * rest (COV of those objects included) follows in the coalesced evaluation.
   */
  private onAlarm(action: 'raised' | 'cleared' | 'acknowledged', alarm: Alarm): void {
    const known = this.activeAlarms.has(alarm.key);
    if (action === 'acknowledged') {
      if (known) this.activeAlarms.set(alarm.key, alarm);
      return;
    }
    if (action === 'raised' && !known) this.countAlarm(alarm, 1);
    else if (action === 'cleared' && known) this.countAlarm(alarm, -1);
    else return;
    const now = this.site.now();
    for (const o of this.alarmObjects) {
      if (o.alarm!.point.matches(alarm, o.alarm!.n)) this.evaluateChangeOfState(o, this.events.get(objectKey(o.id))!, now);
    }
    this.scheduleEvaluate();
  }

  private countAlarm(alarm: Alarm, delta: 1 | -1): void {
    if (delta > 0) this.activeAlarms.set(alarm.key, alarm);
    else this.activeAlarms.delete(alarm.key);
    for (const o of this.alarmObjects) {
      if (o.alarm!.point.matches(alarm, o.alarm!.n)) this.alarmCounts.set(o, this.alarmCounts.get(o)! + delta);
    }
  }

  /** CHANGE_OF_STATE (13.3.2) with Alarm_Value active and Time_Delay 0. */
  private evaluateChangeOfState(o: BacnetObject, e: EventTrack, now: number): void {
    const target = this.alarmCounts.get(o)! > 0 ? EVENT_STATE.OFFNORMAL : EVENT_STATE.NORMAL;
    if (target !== e.eventState) this.transition(o, e, target, undefined, now);
  }

  private transition(o: BacnetObject, e: EventTrack, to: number, ctx: ReadContext | undefined, now: number): void {
    const from = e.eventState;
    e.eventState = to;
    const category = transitionOf(to);
    const at = new Date(Math.floor(now / 10) * 10);
    e.timeStamps[category] = { type: 2, value: at };
    e.ackedTransitions[category] = !this.ackRequired[category];
    if (!(EVENT_ENABLE as readonly number[]).includes(category)) return;
    this.sendEventNotifications(o, e, { ack: false, category, fromState: from, toState: to, timeStamp: e.timeStamps[category], ctx });
  }

  private sendEventNotifications(o: BacnetObject, e: EventTrack, t: { ack: boolean; category: number; fromState: number; toState: number; timeStamp: EventTimeStamp; ctx?: ReadContext }): void {
    if (this.dcc !== 'enable' || !this.recipients.length) return;
    let eventValues: (b: EncodeBuffer) => void;
    let message: string | null = null;
    if (o.alarm) {
      eventValues = changeOfStateValues(e.eventState);
      message = this.alarmMessage(o, t.toState);
    } else {
      const ctx = t.ctx ?? this.context();
      eventValues = outOfRangeValues(o, ctx, o.statusFlags!(ctx) as Bits, t);
    }
    for (const r of this.recipients) {
      if (!r.transitions[t.category]) continue;
      // Our own encoding: @bacnet-js/client's EventNotifyData throws on ack-notifications.
      const encode = (b: EncodeBuffer) => {
        asn1.encodeContextUnsigned(b, 0, r.processId);
        asn1.encodeContextObjectId(b, 1, OT.DEVICE, this.deviceInstance);
        asn1.encodeContextObjectId(b, 2, o.id.type, o.id.instance);
        asn1.encodeOpeningTag(b, 3);
        encodeTimeStamp(b, t.timeStamp);
        asn1.encodeClosingTag(b, 3);
        asn1.encodeContextUnsigned(b, 4, 1);
        asn1.encodeContextUnsigned(b, 5, this.notificationPriorities[t.category]);
        asn1.encodeContextEnumerated(b, 6, o.alarm ? EVENT_TYPE.CHANGE_OF_STATE : EVENT_TYPE.OUT_OF_RANGE);
        if (message !== null) asn1.encodeContextCharacterString(b, 7, message);
        asn1.encodeContextEnumerated(b, 8, t.ack ? 2 : 0); // ack-notification : alarm
        if (!t.ack) {
          asn1.encodeContextBoolean(b, 9, this.ackRequired[t.category]);
          asn1.encodeContextEnumerated(b, 10, t.fromState);
        }
        asn1.encodeContextEnumerated(b, 11, t.toState);
        if (!t.ack) {
          asn1.encodeOpeningTag(b, 12);
          eventValues(b);
          asn1.encodeClosingTag(b, 12);
        }
      };
      if (r.confirmed) void this.sendConfirmed(r.peer, CONFIRMED.CONFIRMED_EVENT_NOTIFICATION, encode);
      else this.sendUnconfirmed(r.peer, UNCONFIRMED.UNCONFIRMED_EVENT_NOTIFICATION, encode);
    }
    void e;
  }

  /** Message_Text of an alarm object's notification: the core alarms' own messages, so a BMS shows the cause. */
  private alarmMessage(o: BacnetObject, toState: number): string {
    const { point, n } = o.alarm!;
    if (toState === EVENT_STATE.NORMAL) return `${o.name}: normal`;
    const causes = [...this.activeAlarms.values()].filter((a) => point.matches(a, n)).map((a) => a.message);
    // Keep the notification well inside one unsegmented APDU.
    const text = `${o.name}: ${causes.join('; ') || 'active'}`;
    return text.length > 300 ? `${text.slice(0, 297)}...` : text;
  }

  // ---- foreign device ---------------------------------------------------------------------

  private startForeignRegistration(address: string, ttlS: number): void {
    const hp = withDefaultPort(address);
    const [host, port] = hp.split(':');
    this.bbmdPeer = { host, port: Number(port), dest: null, key: hp };
    const register = () => this.sendRaw(registerForeignDevice(ttlS), this.bbmdPeer!);
    register();
    // Re-register well before the BBMD's entry (TTL + 30 s grace) expires.
    const t = setInterval(register, Math.max(10, ttlS / 2) * 1000);
    t.unref();
    this.timers.push(t);
  }

  private onBvlcResult(d: Buffer, from: Peer): void {
    if (!this.bbmdPeer || from.host !== this.bbmdPeer.host || from.port !== this.bbmdPeer.port || d.length !== 6) return;
    const code = d.readUInt16BE(4);
    if (code === 0) {
      if (!this.registered) this.log.info(`registered as a foreign device with the BBMD at ${from.key}`);
      this.registered = true;
    } else {
      this.registered = false;
      this.problems.warn('bbmd-refused', `the BBMD at ${from.key} refused the foreign-device registration (BVLC-Result 0x${code.toString(16).padStart(4, '0')})`);
    }
  }

  // ---- helpers ----------------------------------------------------------------------------

  private context(): ReadContext {
    return { snap: this.site.snapshot() as SiteSnapshot, device: this };
  }

  private findObject(id: ObjectId): BacnetObject | undefined {
    // 4194303 is the wildcard Device instance (12.11.1).
    if (id.type === OT.DEVICE && id.instance === 4194303) return this.objects[0];
    return this.byKey.get(objectKey(id));
  }
}

class TooLong extends Error {}

/** BACnetEventType values this device reports. */
const EVENT_TYPE = { CHANGE_OF_STATE: 1, OUT_OF_RANGE: 5 } as const;

type Bits = Extract<Value, { t: 'bits' }>;

/** BACnetNotificationParameters out-of-range [5]: exceeding-value, status-flags, deadband, exceeded-limit. */
function outOfRangeValues(o: BacnetObject, ctx: ReadContext, flags: Bits, t: { fromState: number; toState: number }): (b: EncodeBuffer) => void {
  const a = o.analog!;
  const th = limitsOf(ctx.snap, a.point.limits!(a.n));
  const low = t.toState === EVENT_STATE.LOW_LIMIT || (t.toState === EVENT_STATE.NORMAL && t.fromState === EVENT_STATE.LOW_LIMIT);
  const exceeded = (low ? th?.alarmLow : th?.alarmHigh) ?? 0;
  const value = o.presentValue!(ctx);
  return (b) => {
    asn1.encodeOpeningTag(b, 5);
    asn1.encodeContextReal(b, 0, value);
    asn1.encodeContextBitstring(b, 1, bitString(4, flags.set));
    asn1.encodeContextReal(b, 2, Math.fround((th?.hysteresis ?? 0) * a.point.scale));
    asn1.encodeContextReal(b, 3, Math.fround(exceeded * a.point.scale));
    asn1.encodeClosingTag(b, 5);
  };
}

/**
 * BACnetNotificationParameters change-of-state [1]: new-state (BACnetPropertyStates binary-value [1]),
 * status-flags. With Alarm_Value active, offnormal means active; in-alarm follows the event state.
 */
function changeOfStateValues(eventState: number): (b: EncodeBuffer) => void {
  const offnormal = eventState === EVENT_STATE.OFFNORMAL;
  return (b) => {
    asn1.encodeOpeningTag(b, 1);
    asn1.encodeOpeningTag(b, 0);
    asn1.encodeContextEnumerated(b, 1, offnormal ? 1 : 0);
    asn1.encodeClosingTag(b, 0);
    asn1.encodeContextBitstring(b, 1, bitString(4, offnormal ? [0] : []));
    asn1.encodeClosingTag(b, 1);
  };
}

function writeResult(b: EncodeBuffer, prop: number, index: number | null, result: readonly Value[] | PropertyError): void {
  asn1.encodeContextEnumerated(b, 2, prop);
  if (index !== null) asn1.encodeContextUnsigned(b, 3, index);
  if (Array.isArray(result)) {
    asn1.encodeOpeningTag(b, 4);
    for (const v of result as readonly Value[]) encodeValue(b, v);
    asn1.encodeClosingTag(b, 4);
  } else {
    const e = result as PropertyError;
    asn1.encodeOpeningTag(b, 5);
    asn1.encodeApplicationEnumerated(b, e.errorClass);
    asn1.encodeApplicationEnumerated(b, e.errorCode);
    asn1.encodeClosingTag(b, 5);
  }
}

/** Event state -> transition category: 0 to-offnormal, 1 to-fault, 2 to-normal. */
function transitionOf(state: number): number {
  if (state === EVENT_STATE.NORMAL) return 2;
  if (state === EVENT_STATE.FAULT) return 1;
  if (state === EVENT_STATE.HIGH_LIMIT || state === EVENT_STATE.LOW_LIMIT || state === EVENT_STATE.OFFNORMAL) return 0;
  return -1;
}

function macOf(peer: Peer): Buffer {
  return ipMac(`${peer.host}:${peer.port}`);
}

/** A B/IP address a reply may go to: a port 1..65535 and a host that is not unspecified, multicast or the limited broadcast. */
function isUnicastPeer(host: string, port: number): boolean {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return false;
  const o = host.split('.').map(Number);
  if (o.length !== 4 || o.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return false;
  return o[0] !== 0 && o[0] < 224;
}

/** Database_Revision: a stable hash of the object list, so a BMS sees when the layout changed. */
function hashObjects(objects: readonly BacnetObject[]): number {
  let h = 2166136261;
  for (const o of objects) {
    const s = `${o.id.type}:${o.id.instance}:${o.name};`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  }
  return h % 1_000_000;
}
