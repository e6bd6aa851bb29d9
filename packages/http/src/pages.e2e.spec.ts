// The web pages in Debian's Chromium against the package's own API over a fixture site: no
// gateway. A viewer sees every string and block with the site's values, live; an operator switches
// a relay through the command interface; a viewer's switches are disabled. (The gateway's browser
// test drives the same pages against its simulated demo: faults, history, health, trends.)
import { describeWithTools, launchChromium, logInToPages, waitFor } from '@kirchhoff/test-support';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_HTTP_USERS } from './demo-users';
import type { HttpApiConfig } from './options';
import { createHttpApi, type HttpApi } from './server';
import { fixtureCommands, fixtureSite } from './__fixtures__/site';

const CONFIG: HttpApiConfig = {
  host: '127.0.0.1', port: 0, tls: { cert: '', key: '', minVersion: 'TLSv1.2' }, users: DEMO_HTTP_USERS,
  maxConnections: 64, maxConnectionsPerAddress: 64, sessionTtlMin: 60, sessionMaxLifetimeH: 24, maxSessionsPerUser: 8, metricsPublic: false,
  live: { batchMs: 100, maxQueueKiB: 1024, maxClients: 8 },
};
const password = (name: string) => DEMO_HTTP_USERS.find((u) => u.name === name)!.password;

describeWithTools(['chromium'], 'web pages over the package\'s API (no gateway)', () => {
  jest.setTimeout(120_000);
  let browser: Browser;
  let api: HttpApi;
  let url: string;
  const site = fixtureSite();
  const { commands, executed } = fixtureCommands(site);
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return page;
  }

  beforeAll(async () => {
    browser = await launchChromium();
    api = await createHttpApi({ config: CONFIG, site, commands, logger: { info: () => {}, warn: () => {}, error: () => {} } });
    const running = await api.listen();
    url = `http://127.0.0.1:${running.port}`;
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await api?.close();
  });
  afterEach(() => expect(pageErrors).toEqual([]));

  it('shows a viewer every string and block of the site, its name, and the live stream', async () => {
    const page = await newPage();
    await logInToPages(page, url, 'viewer', password('viewer'));
    expect(await page.locator('.string-card').count()).toBe(2);
    expect(await page.locator('.tile:not(.mini)').count()).toBe(8);
    expect(await page.locator('#site-name').textContent()).toBe('Test battery room');
    await waitFor(async () => (await page.locator('#live-state').textContent())?.includes('live'), 10_000, 'the live stream');
    // The demo users' documented passwords are a critical notice on every page.
    expect(await page.locator('#notices').textContent()).toContain('DEFAULT PASSWORD');
  });

  it('lets an operator switch the breaker relay through the command interface after a question; a viewer\'s switches are disabled', async () => {
    const page = await newPage();
    await logInToPages(page, url, 'operator', password('operator'));
    await page.goto(`${url}/#/io`);
    const row = page.locator('#relays tr[data-relay="1"]');
    // The battery breaker relay asks first: dismissed, nothing is sent; accepted, it switches.
    const asked: string[] = [];
    page.once('dialog', (d) => { asked.push(d.message()); void d.dismiss(); });
    await row.getByRole('button').click();
    await waitFor(() => asked.length > 0, 10_000, 'the question');
    expect(asked[0]).toContain('trips the battery breaker');
    expect(executed).toEqual([]);
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button').click();
    await waitFor(() => executed.length > 0, 10_000, 'the command');
    expect(executed).toEqual([{ command: { type: 'set-relay', relay: 1, on: true }, principal: 'operator', protocol: 'http' }]);
    await waitFor(async () => (await row.textContent())?.includes('ON'), 10_000, 'the relay state on the page');

    const viewer = await newPage();
    await logInToPages(viewer, url, 'viewer', password('viewer'));
    await viewer.goto(`${url}/#/io`);
    await viewer.locator('#relays tbody tr').first().waitFor();
    expect(await viewer.locator('#relays button:not([disabled])').count()).toBe(0);
  });
});
