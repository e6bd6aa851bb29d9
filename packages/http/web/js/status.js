// Status of modules and strings for the pages: green/yellow/red from the active alarms, the fuse
// and bus state and the live values against the thresholds, each with a glyph and words so the
// status reads without colour too.

export const LEVELS = ['ok', 'unknown', 'warn', 'alarm'];
const RANK = { ok: 0, unknown: 1, warn: 2, alarm: 3 };
export const STATUS_TEXT = { ok: 'OK', unknown: 'No data', warn: 'Warning', alarm: 'Alarm' };
export const STATUS_GLYPH = { ok: '✓', unknown: '?', warn: '▲', alarm: '✖' };
const SEVERITY_LEVEL = { warning: 'warn', alarm: 'alarm', critical: 'alarm' };

export function worse(a, b) {
  return RANK[b] > RANK[a] ? b : a;
}

export function entityIdOf(e) {
  switch (e.kind) {
    case 'site': return 'site';
    case 'string': return `string/${e.string}`;
    case 'module': return `string/${e.string}/module/${e.module}`;
    case 'ups': return 'ups';
    default: return `${e.kind}/${e.id}`;
  }
}

/** Active alarms by entity id: {level, messages}. */
export function alarmIndex(alarms) {
  const idx = new Map();
  for (const a of alarms) {
    const id = entityIdOf(a.entity);
    const cur = idx.get(id) ?? { level: 'ok', messages: [] };
    cur.level = worse(cur.level, SEVERITY_LEVEL[a.severity] ?? 'warn');
    cur.messages.push(a.message);
    idx.set(id, cur);
  }
  return idx;
}

/** Level of a value against a threshold ({warnHigh, alarmHigh, warnLow, alarmLow}). */
export function thresholdLevel(value, t) {
  if (value === null || value === undefined || !t) return null;
  if (t.alarmHigh != null && value >= t.alarmHigh) return { level: 'alarm', dir: 'high' };
  if (t.alarmLow != null && value <= t.alarmLow) return { level: 'alarm', dir: 'low' };
  if (t.warnHigh != null && value >= t.warnHigh) return { level: 'warn', dir: 'high' };
  if (t.warnLow != null && value <= t.warnLow) return { level: 'warn', dir: 'low' };
  return null;
}

/** Mean Ri of a string's modules that have one, in ohms (the reference of `string-mean` Ri limits). */
export function meanResistance(modules) {
  let sum = 0;
  let n = 0;
  for (const m of modules) {
    if (m.resistanceOhm.value != null) {
      sum += m.resistanceOhm.value;
      n++;
    }
  }
  return n ? sum / n : null;
}

/** {level, reasons[]} of one module. */
export function moduleStatus(m, thresholds, alarms, stringMeanOhm) {
  let level = 'ok';
  const reasons = [];
  const add = (l, why) => {
    level = worse(level, l);
    if (!reasons.includes(why)) reasons.push(why);
  };
  const a = alarms.get(`string/${m.string}/module/${m.module}`);
  if (a) for (const msg of a.messages) add(a.level, msg);
  if (m.fuse === 'blown') add('alarm', 'fuse blown');
  if (m.communication === 'lost') add('alarm', 'no answer on the bus');
  if (m.voltageV.quality !== 'fresh' || m.voltageV.value == null) add('unknown', m.voltageV.value == null ? 'no reading' : `reading ${m.voltageV.quality}`);
  if (thresholds) {
    const v = thresholdLevel(m.voltageV.value, thresholds.moduleVoltage);
    if (v) add(v.level, `voltage ${v.dir}`);
    const t = thresholdLevel(m.temperatureC.value, thresholds.moduleTemperature);
    if (t) add(t.level, `temperature ${t.dir}`);
    const rt = thresholds.moduleResistance;
    const ri = m.resistanceOhm.value;
    if (rt && ri != null) {
      const ref = rt.mode === 'absolute' ? null : rt.mode === 'baseline' ? m.resistanceBaselineOhm : stringMeanOhm;
      const x = rt.mode === 'absolute' ? ri : ref > 0 ? (ri / ref - 1) * 100 : null;
      const r = thresholdLevel(x, rt);
      if (r) add(r.level, `Ri ${r.dir}`);
    }
  }
  return { level, reasons };
}

export function statusWords(st) {
  return st.reasons.length ? `${STATUS_TEXT[st.level]}: ${st.reasons.join(', ')}` : STATUS_TEXT[st.level];
}

/** null-safe number formatting: "—" when there is no value. */
export function fmt(v, digits = 1) {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

export function fmtMeasurement(m, digits = 1, scale = 1) {
  return m && m.value != null ? (m.value * scale).toFixed(digits) : '—';
}

export function fmtTime(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const time = d.toLocaleTimeString(undefined, { hour12: false });
  return sameDay ? time : `${d.toLocaleDateString()} ${time}`;
}

export const CHARGE_MODE_TEXT = {
  float: 'Float charge', boost: 'Boost charge', recharge: 'Recharge', rest: 'Rest (charger off)', discharge: 'Discharge', unknown: 'Unknown',
};
export const SOC_METHOD_TEXT = {
  float: 'full: held at float voltage',
  rest: 'from the time at rest and the self-discharge (charger off)',
  discharge: 'counted in discharge and recharge (Ah)',
  unknown: 'not known yet',
};

export function stringModules(snap, s) {
  return snap.modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);
}
