// A developer's script (the README's first lines): `await sender.send(...)` to a host that is down
// must give its result, not end the process while a retry is pending (Node exits with 13,
// "unsettled top-level await", when only unref'd timers are left).
import { join } from 'node:path';
import { freeTcpPort, run, TS_REGISTER } from '@kirchhoff/test-support';

describe('RccmdSender in a script', () => {
  it('a send to a refused TCP port is retried and resolves as failed, and the script ends normally', async () => {
    const port = await freeTcpPort(); // nothing listens there
    const script = [
      `const { RccmdSender, parseTarget } = require(${JSON.stringify(join(__dirname, 'index.ts'))});`,
      `const sender = new RccmdSender({ id: 'script', hmacKey: 'a-script-hmac-key-0123456789', retryForMs: 1500 });`,
      `sender.send({ kind: 'shutdown', format: 'kirchhoff', targets: [parseTarget('127.0.0.1:${port}', 'tcp')] })`,
      `  .then((results) => console.log(JSON.stringify(results.map((r) => [r.outcome, r.attempts > 1]))));`,
    ].join('\n');
    const r = await run(process.execPath, ['-r', TS_REGISTER, '-e', script], { timeoutMs: 60_000 });
    expect({ code: r.code, out: r.stdout.trim() }).toEqual({ code: 0, out: '[["failed",true]]' });
  });
});
