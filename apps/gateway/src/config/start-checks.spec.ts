// `config check` refuses what start would refuse (issue 16.11): each case below passed the schema
// before and then failed at start.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../cli';
import { applySets, ConfigError, finishConfig, readConfigFile } from './load';

const BASE = ['bus.port=/dev/ttyUSB0', 'strings.0.modules=20', 'modbus.enabled=true'];
const problemsOf = (sets: string[]) => {
  try {
    finishConfig(applySets({ data: {}, lines: new Map(), source: 'test' }, [...BASE, ...sets]));
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
};

describe('checks of what start would refuse', () => {
  it('the Modbus RTU server on the battery bus port, the UPS port or a sensor line', () => {
    expect(problemsOf(['modbus.rtu.port=/dev/ttyUSB0'])).toEqual(['modbus.rtu.port: /dev/ttyUSB0 is already bus.port: the Modbus RTU server (a slave for the BMS) needs a serial port of its own']);
    expect(problemsOf(['ups.source=q1', 'ups.q1.port=/dev/ttyS1', 'modbus.rtu.port=/dev/ttyS1'])).toEqual(['modbus.rtu.port: /dev/ttyS1 is already ups.q1.port: the Modbus RTU server (a slave for the BMS) needs a serial port of its own']);
    expect(problemsOf(['modbus.rtu.port=/dev/ttyS2'])).toEqual([]);
    // The demo has no bus port to collide with.
    expect(problemsOf(['demo.enabled=true', 'modbus.rtu.port=/dev/ttyUSB0'])).toEqual([]);
    expect(problemsOf(['modbus.enabled=false', 'modbus.rtu.port=/dev/ttyUSB0'])).toEqual([]);
  });

  it('two services on one port and protocol, unless they listen on different addresses', () => {
    expect(problemsOf(['http.enabled=true', 'http.port=502'])).toEqual(['http.port: 502 is also modbus.tcp.port (tcp): two services cannot listen on one port; choose another']);
    expect(problemsOf(['nut.enabled=true', 'nut.port=8080', 'http.enabled=true', 'http.port=8080'])).toEqual(['http.port: 8080 is also nut.port (tcp): two services cannot listen on one port; choose another']);
    expect(problemsOf(['http.enabled=true', 'http.port=502', 'http.host=127.0.0.1', 'modbus.tcp.host=10.0.0.5'])).toEqual([]);
    expect(problemsOf(['http.enabled=true', 'http.port=502', 'http.host=127.0.0.1'])).toHaveLength(1); // Modbus on every address
    // TCP and UDP do not collide; port 0 (any free port) never does.
    expect(problemsOf(['snmp.enabled=true', 'snmp.port=502'])).toEqual([]);
    expect(problemsOf(['http.enabled=true', 'http.port=0', 'modbus.tcp.port=0'])).toEqual([]);
  });

  it('TLS halves, STARTTLS without a certificate, an MQTT publisher with nowhere to publish, a user name twice', () => {
    expect(problemsOf(['http.tls.cert=/etc/kirchhoff/cert.pem'])).toEqual(['http.tls.key: is required when http.tls.cert is set (both PEM files, or neither for plain HTTP)']);
    expect(problemsOf(['nut.enabled=true', 'nut.starttls=true'])).toEqual(['nut.starttls: needs http.tls.cert and http.tls.key (the certificate STARTTLS presents)']);
    expect(problemsOf(['mqtt.enabled=true', 'mqtt.broker.enabled=false'])).toEqual(['mqtt.url: is empty and mqtt.broker.enabled is false: set mqtt.url to your broker, or turn on the embedded broker']);
    const hash = '$scrypt$ln=15,r=8,p=1$0laa3ord5wM+8OGuKMocCA$YUK81TeR6O2xzdlrXRuc14x10gflw6INZ4xcjHUr1Tg';
    expect(problemsOf([`http.users.0.name=ops`, `http.users.0.passwordHash=${hash}`, 'http.users.0.role=viewer', `http.users.1.name=ops`, `http.users.1.passwordHash=${hash}`, 'http.users.1.role=admin']))
      .toEqual(['http.users.1.name: "ops" is given twice: user names must be unique']);
  });
});

describe('kirchhoff config check', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  };
  const file = (yaml: string) => {
    const f = join(mkdtempSync(join(tmpdir(), 'kirchhoff-check-')), 'site.yaml');
    writeFileSync(f, yaml);
    return f;
  };

  it('refuses a certificate file that cannot be read, naming the key, the path and why', async () => {
    const f = file('strings: [{ modules: 20 }]\nbus: { port: /dev/ttyUSB0 }\nhttp: { enabled: true, tls: { cert: /nonexistent/cert.pem, key: /nonexistent/key.pem } }\n');
    const c = capture();
    expect(await run(['config', 'check', f], c.io)).toBe(1);
    expect(c.err.join('\n')).toContain('http.tls.cert: /nonexistent/cert.pem: cannot read it (ENOENT)');
    expect(c.err.join('\n')).toContain('http.tls.key: /nonexistent/key.pem: cannot read it (ENOENT)');
  });

  it('says what start would warn about: an empty bus port', async () => {
    const f = file('strings: [{ modules: 20 }]\n');
    expect(readConfigFile(f).data).toEqual({ strings: [{ modules: 20 }] });
    const c = capture();
    expect(await run(['config', 'check', f], c.io)).toBe(0);
    expect(c.err.some((l) => /warning: bus\.port is empty: no battery bus is polled/.test(l))).toBe(true);
  });
});
