// Settings: alarm thresholds (operators change them), the protocols the gateway serves (admins
// see the running configuration), users, and the security notices of this configuration.
import { h, clear } from '../dom.js';

export const title = 'Settings';

const KINDS = {
  moduleVoltage: { name: 'Module voltage', unit: 'V' },
  moduleTemperature: { name: 'Module temperature', unit: '°C' },
  moduleResistance: { name: 'Module Ri', unit: null },
  stringImbalance: { name: 'String imbalance (largest |V − target|)', unit: 'V' },
  stringCurrent: { name: 'String DC current', unit: 'A' },
  stringRipple: { name: 'String ripple current', unit: 'A' },
  stringGroundFault: { name: 'Ground-fault current', unit: 'A' },
};
const LIMITS = [['alarmLow', 'Alarm below'], ['warnLow', 'Warning below'], ['warnHigh', 'Warning above'], ['alarmHigh', 'Alarm above']];
const RI_UNIT = { absolute: 'Ω', 'string-mean': '% above the string mean', baseline: '% above the baseline' };
const UNIT_TEXT = { degC: '°C' };

export function mount(el, ctx) {
  const { store } = ctx;
  const canEdit = ctx.can('operator');
  const thresholdBox = h('div', { id: 'thresholds' });
  const noticeList = h('ul', { class: 'notice-list', id: 'notice-list' });
  const protocolBox = h('div', { id: 'protocols' });
  const userBox = h('div', { id: 'users' });
  el.append(h('h1', null, 'Settings'),
    h('section', { 'aria-labelledby': 'sec-title' }, h('h2', { id: 'sec-title' }, 'Security notices'), noticeList),
    h('section', { 'aria-labelledby': 'thr-title' }, h('h2', { id: 'thr-title' }, 'Alarm thresholds'),
      h('p', { class: 'muted', id: 'thr-role' }, canEdit
        ? 'Empty a field to remove that limit. Changes apply at once and are recorded in the audit log.'
        : `Changing thresholds needs the operator role; ${ctx.user.name} is a ${ctx.user.role}.`),
      thresholdBox),
    h('section', { 'aria-labelledby': 'proto-title' }, h('h2', { id: 'proto-title' }, 'Protocols'), protocolBox),
    h('section', { 'aria-labelledby': 'user-title' }, h('h2', { id: 'user-title' }, 'Users'), userBox));

  const forms = new Map();

  function unitOf(key, t) {
    if (key === 'moduleResistance') return RI_UNIT[t.mode] ?? '';
    if (key.startsWith('sensors.')) {
      const s = store.snap.sensors[Number(key.slice(8)) - 1];
      return UNIT_TEXT[s?.unit] ?? s?.unit ?? '';
    }
    return KINDS[key]?.unit ?? '';
  }

  function nameOf(key) {
    if (key.startsWith('sensors.')) return `Sensor: ${store.snap.sensors[Number(key.slice(8)) - 1]?.name ?? key}`;
    return KINDS[key]?.name ?? key;
  }

  function thresholdForm(key, t) {
    const id = key.replace('.', '-');
    const unit = unitOf(key, t);
    const inputs = {};
    const field = (name, label, value, attrs = {}) => {
      const input = h('input', { type: 'number', id: `t-${id}-${name}`, name, step: 'any', value: value ?? '', ...attrs });
      inputs[name] = input;
      return h('label', { for: input.id }, label, input);
    };
    const error = h('p', { class: 'error', role: 'alert', id: `t-${id}-error` });
    const fs = h('fieldset', { disabled: !canEdit },
      h('legend', null, `${nameOf(key)}${unit ? ` [${unit}]` : ''}`),
      key === 'moduleResistance' ? h('p', { class: 'muted' }, `Compared as: ${t.mode}`) : null,
      h('div', { class: 'toolbar' },
        LIMITS.filter(([k]) => !(key === 'stringImbalance' && k.endsWith('Low'))).map(([k, label]) => field(k, label, t[k])),
        field('hysteresis', 'Hysteresis', t.hysteresis, { min: 0 }),
        field('delayS', 'Delay [s]', t.delayMs / 1000, { min: 0 }),
        h('button', { type: 'submit', class: 'primary' }, 'Save')),
      error);
    const form = h('form', { 'data-threshold': key, 'aria-describedby': error.id }, fs);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      error.textContent = '';
      const cur = currentThreshold(key);
      const patch = {};
      for (const [name, input] of Object.entries(inputs)) {
        const raw = input.value.trim();
        if (name === 'delayS') {
          const ms = Math.round(Number(raw) * 1000);
          if (raw !== '' && ms !== cur.delayMs) patch.delayMs = ms;
        } else if (name === 'hysteresis') {
          if (raw !== '' && Number(raw) !== cur.hysteresis) patch.hysteresis = Number(raw);
        } else {
          const v = raw === '' ? null : Number(raw);
          if (v !== (cur[name] ?? null)) patch[name] = v;
        }
      }
      if (!Object.keys(patch).length) {
        error.textContent = 'Nothing changed.';
        return;
      }
      try {
        await ctx.api(`/api/thresholds/${key}`, { method: 'PATCH', body: patch });
        ctx.toast(`${nameOf(key)}: saved.`);
      } catch (err) {
        error.textContent = `Not saved: ${err.message}`;
      }
    });
    forms.set(key, { form, inputs, fs });
    return form;
  }

  function currentThreshold(key) {
    const t = store.snap.thresholds;
    return key.startsWith('sensors.') ? t.sensors[key.slice(8)] : t[key];
  }

  function keys() {
    const t = store.snap.thresholds;
    return [...Object.keys(KINDS).filter((k) => t[k]), ...Object.keys(t.sensors).map((id) => `sensors.${id}`)];
  }

  function renderThresholds() {
    clear(thresholdBox);
    forms.clear();
    for (const k of keys()) thresholdBox.append(thresholdForm(k, currentThreshold(k)));
  }

  /** Puts new values into the forms, leaving a field the user is editing alone. */
  function refreshThresholds() {
    for (const k of keys()) {
      const f = forms.get(k);
      if (!f) return renderThresholds();
      const t = currentThreshold(k);
      for (const [name, input] of Object.entries(f.inputs)) {
        if (document.activeElement === input) continue;
        const v = name === 'delayS' ? t.delayMs / 1000 : t[name];
        input.value = v ?? '';
      }
    }
  }

  async function renderNotices() {
    try {
      const r = await ctx.api('/api/security');
      ctx.notices = r.notices;
    } catch {
      // Keep the notices from the login.
    }
    clear(noticeList);
    if (!ctx.notices.length) noticeList.append(h('li', null, '✓ No security notices for this configuration.'));
    for (const n of ctx.notices) {
      const level = n.severity === 'critical' ? 'alarm' : 'warn';
      noticeList.append(h('li', { 'data-notice': n.id, class: `notice st-text-${level}` },
        h('span', { class: `chip st-${level}`, 'aria-hidden': 'true' }, level === 'alarm' ? '✖' : '▲'), ' ',
        h('strong', null, `${n.severity}: `), h('span', { class: 'notice-text' }, n.message), ' ', h('code', null, n.key)));
    }
  }

  async function renderProtocols() {
    if (!ctx.can('admin')) {
      protocolBox.append(h('p', { class: 'muted' }, 'The protocol configuration is shown to admins.'));
      userBox.append(h('p', { class: 'muted' }, 'Users are shown to admins.'));
      return;
    }
    let c;
    try {
      c = await ctx.api('/api/config');
    } catch (e) {
      protocolBox.append(h('p', { class: 'error' }, `Not available: ${e.message}`));
      return;
    }
    const yes = (b) => (b ? 'on' : 'off');
    const rows = [
      ['Modbus TCP', c.modbus?.enabled && c.modbus.tcp?.enabled, c.modbus ? `${c.modbus.tcp.host}:${c.modbus.tcp.port}` : '', c.modbus?.writes, c.modbus?.tcp?.allow?.length ? `allowed: ${c.modbus.tcp.allow.join(', ')}` : 'any client'],
      ['Modbus RTU', c.modbus?.enabled && !!c.modbus.rtu?.port, c.modbus?.rtu?.port || '—', c.modbus?.writes, c.modbus?.rtu?.port ? `${c.modbus.rtu.baudRate} baud` : ''],
      ['SNMP', c.snmp?.enabled, c.snmp ? `${c.snmp.host}:${c.snmp.port}/udp` : '', c.snmp?.writes, c.snmp ? `${c.snmp.communities.length} v2c communit${c.snmp.communities.length === 1 ? 'y' : 'ies'}, ${c.snmp.users.length} v3 user(s), ${c.snmp.traps.length} trap target(s)` : ''],
      ['BACnet/IP', c.bacnet?.enabled, c.bacnet ? `${c.bacnet.address ?? '0.0.0.0'}:${c.bacnet.port}/udp` : '', c.bacnet?.writes, c.bacnet ? `device ${c.bacnet.deviceInstance}` : ''],
      ['MQTT', c.mqtt?.enabled, c.mqtt?.url || (c.mqtt?.broker?.enabled ? `embedded broker :${c.mqtt.broker.port}` : '—'), c.mqtt?.writes, c.mqtt?.modes ? Object.entries(c.mqtt.modes).filter(([, v]) => v).map(([k]) => k).join(', ') : ''],
      ['RCCMD', c.rccmd?.enabled, '—', false, c.rccmd?.jobs ? `${c.rccmd.jobs.length} job(s), HMAC key ${c.rccmd.hmacKey ? 'set' : 'NOT set'}` : ''],
      ['HTTP', c.http?.enabled, c.http ? `${c.http.host}:${c.http.port}` : '', true, c.http ? `TLS ${c.http.tls.cert ? 'on' : 'OFF'}, ${c.http.users.length} user(s)` : ''],
    ];
    protocolBox.append(h('p', { class: 'muted' }, 'Protocols are set in the configuration file; send the gateway SIGHUP (or restart it) after a change. Secrets show as "(set)".'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'protocol-table' },
        h('thead', null, h('tr', null, ['Protocol', 'Service', 'Listens', 'Writes', 'Notes'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, rows.map(([name, on, where, writes, notes]) => h('tr', null, h('td', null, name), h('td', { class: on ? 'st-text-ok' : 'muted' }, on ? '● on' : '○ off'),
          h('td', null, where), h('td', null, yes(writes)), h('td', null, notes)))))));
    try {
      const users = await ctx.api('/api/users');
      userBox.append(h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'user-table' },
        h('thead', null, h('tr', null, ['User', 'Role', 'Password'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, users.map((u) => h('tr', null, h('td', null, u.name), h('td', null, u.role),
          h('td', { class: u.defaultPassword ? 'st-text-alarm' : '' }, u.defaultPassword ? '✖ documented default: change it' : '✓ own'))))),
      h('p', { class: 'muted' }, 'Users are set in http.users with password hashes from `kirchhoff hash-password`.')));
    } catch (e) {
      userBox.append(h('p', { class: 'error' }, `Not available: ${e.message}`));
    }
  }

  renderThresholds();
  renderNotices();
  renderProtocols();
  return {
    title,
    update(d) {
      if (d.full) renderThresholds();
      else if (d.thresholds) refreshThresholds();
    },
  };
}
