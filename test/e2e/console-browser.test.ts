/// <reference lib="dom" />
/**
 * The web console in a real browser (Debian's chromium driven by playwright-core) against the local server with a
 * fake Twilio and a fake MifosX: sign-in with a one-time link from the CLI, the events list and one event's story,
 * resend, a template with its live preview, a forwarding target added and tested, French, and axe-core with no
 * violation on every view in two languages. A screenshot of each view is kept in test-artifacts/console/.
 * Without a browser the suite fails when CI=true and is skipped (with a warning) otherwise.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { runCli } from '../../lambdas/cli/program';
import { buildConsole } from '../../lambdas/console/build';
import { waitFor } from '../helpers/receiver';
import { type SmsBridgeSession, type SmsBridgeWorld, startSmsBridgeWorld } from '../helpers/sms-bridge-session';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'console');
const README_SHOTS = path.join(__dirname, '..', '..', 'docs', 'images');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BROKEN_NUMBER = '254700999888';

let browser: Browser | undefined;
let world: SmsBridgeWorld;
let mifos: SmsBridgeSession;
let assetsDir: string;
let targetServer: http.Server;
let targetUrl: string;
let twilioBroken = true;
let repaymentId: string;
let failedId: string;
let forwardTargetId: string;
const cspViolations: string[] = [];

// A browser step under a loaded 2-core machine can take seconds; each test still ends well within this.
jest.setTimeout(60_000);

async function consoleLink(role: 'viewer' | 'editor'): Promise<string> {
  let stdout = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: () => true },
    env: { DATA_DIR: world.receiver.dataDir },
  };
  const code = await runCli(
    ['--local', '--data-dir', world.receiver.dataDir, '--json', 'console', 'link', 'default', '--role', role],
    { io },
  );
  expect(code).toBe(0);
  return (JSON.parse(stdout) as { url: string }).url;
}

/** A fresh browser profile signed in through a new link. */
async function signedIn(
  role: 'viewer' | 'editor' = 'editor',
  lang?: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser!.newContext({ viewport: { width: 1100, height: 800 }, locale: 'en-GB' });
  context.setDefaultTimeout(8000);
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  if (lang) await page.addInitScript((value) => localStorage.setItem('console.lang', value), lang);
  await page.goto(await consoleLink(role));
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  return { context, page };
}

async function axeViolations(page: Page): Promise<string[]> {
  // Through the debugger, not a <script>: the page's CSP rightly refuses inline scripts.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; nodes: unknown[] }[] }> } }
    ).axe;
    return axe.run();
  });
  return result.violations.map((v) => `${v.id} (${v.nodes.length})`);
}

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  if (process.env.UPDATE_README_SCREENSHOTS === '1' && (name === 'events-en' || name === 'event-en')) {
    mkdirSync(README_SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(README_SHOTS, `console-${name.replace('-en', '')}.png`) });
  }
}

const needsBrowser = () => {
  if (!browser) console.warn('console browser tests skipped: no chromium (CI=true makes this a failure)');
  return Boolean(browser);
};

beforeAll(async () => {
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  } catch (error) {
    if (process.env.CI === 'true' || existsSync(CHROMIUM)) throw error;
    return;
  }
  assetsDir = mkdtempSync(path.join(tmpdir(), 'fhr-console-'));
  await buildConsole(assetsDir);
  targetServer = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => targetServer.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(targetServer.address() as AddressInfo).port}/events`;
  world = await startSmsBridgeWorld({
    fineract: { basePath: '/mifosng-provider/api/v1/', tenantHeader: 'mifosx' },
    env: { CONSOLE_ASSETS_DIR: assetsDir, ALLOW_PRIVATE_ENDPOINTS: 'true', RETRY_SCHEDULE_SECONDS: '0.1,0.2' },
  });
  mifos = world.session({ flavour: 'mifosx' });
  await mifos.register();
  world.fineract.addClient({ id: 42, displayName: 'Jane Doe', mobileNo: '254700000001' });
  world.fineract.addLoan({ id: 7, accountNo: '000000007', clientId: 42, clientName: 'Jane Doe' });
  world.twilio.failWhen((r) => twilioBroken && r.form.To === `+${BROKEN_NUMBER}`, {
    route: 'send',
    status: 400,
    code: 21608,
    message: 'The number is unverified.',
  });
  const target = await world.request({
    method: 'POST',
    path: '/tenants/default/targets',
    headers: { authorization: `Bearer ${mifos.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: targetUrl, events: ['LOAN.REPAYMENT'] }),
  });
  expect(target.status).toBe(201);
  forwardTargetId = (target.body as { targetId: string }).targetId;
  const repayment = await mifos.sendEvent('mifosx-sms-loan-repayment');
  repaymentId = repayment.eventId!;
  await mifos.waitForStatus(repaymentId, 'sent');
  const failing = await mifos.sendEvent('mifosx-sms-send-ugd', {
    body: { mobileNo: BROKEN_NUMBER, message: 'Your loan application was received.' },
  });
  failedId = failing.eventId!;
  await mifos.waitForStatus(failedId, 'failed');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (!world) return;
  await world.stop();
  await new Promise<void>((resolve) => targetServer.close(() => resolve()));
  rmSync(assetsDir, { recursive: true, force: true });
});

describe('web console in chromium', () => {
  it('signs in with a one-time link: cookie HttpOnly, link refused the second time, CSRF refused', async () => {
    if (!needsBrowser()) return;
    // Prepare
    const link = await consoleLink('viewer');
    const context = await browser!.newContext();
    context.setDefaultTimeout(8000);
    const page = await context.newPage();

    // Act
    await page.goto(link);
    await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();
    const scriptCookies = await page.evaluate(() => document.cookie);
    const cookies = await context.cookies();
    const forged = await page.evaluate(async (eventId) => {
      // What a cross-site form could send: no custom header, a form content type.
      const response = await fetch(`/tenants/default/events/${eventId}/resend`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'x=1',
      });
      return response.status;
    }, failedId);
    const viewerResend = await page.evaluate(async (eventId) => {
      const response = await fetch(`/tenants/default/events/${eventId}/resend`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-fhr-console': '1' },
        body: '{}',
      });
      return response.status;
    }, failedId);
    const second = await browser!.newContext();
    const again = await second.newPage();
    await again.goto(link);
    await again.getByRole('heading', { level: 1 }).waitFor();

    // Assess
    expect(page.url()).not.toContain('login=');
    expect(scriptCookies).not.toContain('__Host-fhr_console');
    expect(cookies).toEqual([
      expect.objectContaining({ name: '__Host-fhr_console', httpOnly: true, secure: true, sameSite: 'Strict' }),
    ]);
    expect(forged).toBe(403);
    expect(viewerResend).toBe(403);
    await expect(again.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Your session has ended');
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))).not.toMatch(/fc[ls]_/);
    expect(world.receiver.logger.text()).not.toMatch(/fc[ls]_[A-Za-z0-9_-]{20}/);
    await context.close();
    await second.close();
  });

  it("finds client 42's repayment: the SMS with its Twilio SID and delivery status, in English then French", async () => {
    if (!needsBrowser()) return;
    // Prepare
    const { context, page } = await signedIn('editor');
    const sid = world.twilio.messages.find((m) => m.to !== `+${BROKEN_NUMBER}`)!.sid;

    // Act: the list, then the repayment's own page
    await page.getByRole('cell', { name: 'LOAN.REPAYMENT' }).waitFor();
    const listViolations = await axeViolations(page);
    await shoot(page, 'events-en');
    await page.getByLabel('Search by').selectOption('clientId');
    await page.getByLabel('Value to search for').fill('42');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    // The same find as `cli events find` (GET /tenants/{t}/events?clientId=…): only client 42's events are listed.
    await page.getByRole('cell', { name: 'LOAN.REPAYMENT' }).waitFor();
    const found = await page.locator('main table tbody tr').allTextContents();
    await page.getByLabel('Event (ENTITY.ACTION)').fill('LOAN.REPAYMENT');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('1 event shown').waitFor();
    await page
      .getByRole('row', { name: /LOAN\.REPAYMENT/ })
      .getByRole('link')
      .click();
    await page.getByRole('heading', { name: `Event ${repaymentId}` }).waitFor();
    await page.getByRole('cell', { name: forwardTargetId }).waitFor();
    const story = await page.locator('main').textContent();
    const forwardRow = await page.getByRole('row', { name: new RegExp(forwardTargetId) }).textContent();
    const eventViolations = await axeViolations(page);
    await shoot(page, 'event-en');
    await page.getByLabel('Language').selectOption('fr');
    await page.getByRole('heading', { name: `Événement ${repaymentId}` }).waitFor();
    const eventFrViolations = await axeViolations(page);
    await shoot(page, 'event-fr');
    await page.goto(page.url().replace(/#.*$/, '#/events'));
    await page.getByRole('heading', { name: 'Événements', level: 1 }).waitFor();
    const lang = await page.evaluate(() => document.documentElement.lang);
    await page.getByRole('cell', { name: 'LOAN.REPAYMENT' }).waitFor();
    const listFrViolations = await axeViolations(page);
    await shoot(page, 'events-fr');

    // Assess
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((row) => row.includes('LOAN.REPAYMENT'))).toBe(true);
    expect(await page.getByText('is not available on this receiver').count()).toBe(0);
    expect(story).toContain(sid);
    expect(story).toContain('LOAN.REPAYMENT');
    expect(story).toMatch(/sent|delivered/);
    expect(story).toContain('MifosX');
    expect(forwardRow).toMatch(/delivered.*200/);
    expect(lang).toBe('fr');
    expect({ listViolations, eventViolations, eventFrViolations, listFrViolations }).toEqual({
      listViolations: [],
      eventViolations: [],
      eventFrViolations: [],
      listFrViolations: [],
    });
    await context.close();
  });

  it('resends a failed event (editor): the SMS goes out once', async () => {
    if (!needsBrowser()) return;
    // Prepare
    const { context, page } = await signedIn('editor');
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('1 event shown').waitFor();
    await page
      .getByRole('row', { name: /SMS\.SEND/ })
      .getByRole('link')
      .click();
    await page.getByRole('heading', { name: `Event ${failedId}` }).waitFor();
    const before = world.twilio.messages.length;
    twilioBroken = false;

    // Act
    await page.getByRole('button', { name: 'Resend' }).click();
    await page.getByText('The event was sent back to the queue.').waitFor();
    await mifos.waitForStatus(failedId, 'sent');
    await world.settle();

    // Assess
    expect(world.twilio.messages).toHaveLength(before + 1);
    expect(world.twilio.messages.at(-1)!.to).toBe(`+${BROKEN_NUMBER}`);
    await context.close();
  });

  it('edits a template with a live preview that warns about UCS-2, and saves it', async () => {
    if (!needsBrowser()) return;
    // Prepare
    const { context, page } = await signedIn('editor');
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('heading', { name: 'Templates', level: 1 }).waitFor();

    // Act
    await page.getByLabel('Event', { exact: true }).selectOption('LOAN.REPAYMENT');
    await page.getByLabel('Template for LOAN.REPAYMENT').fill('Bonjour {{clientName}}, remboursement reçu ✓');
    await page.getByTestId('preview-text').getByText('Bonjour Jane Doe, remboursement reçu ✓').waitFor();
    const warning = await page.getByText('Accented or special characters force UCS-2').textContent();
    const violations = await axeViolations(page);
    await shoot(page, 'templates-en');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Template saved.').waitFor();
    await page.getByLabel('Language').selectOption('sw');
    await page.getByRole('heading', { name: 'Violezo', level: 1 }).waitFor();
    const swViolations = await axeViolations(page);
    await shoot(page, 'templates-sw');

    // Assess
    expect(warning).toContain('70');
    expect(await world.receiver.receiver.deps.admin.tenants.getTemplates('default')).toMatchObject({
      'LOAN.REPAYMENT': 'Bonjour {{clientName}}, remboursement reçu ✓',
    });
    expect({ violations, swViolations }).toEqual({ violations: [], swViolations: [] });
    await context.close();
  });

  it('adds a target (secret shown once) and sends it a test', async () => {
    if (!needsBrowser()) return;
    // Prepare
    const { context, page } = await signedIn('editor', 'es');
    await page.getByRole('link', { name: 'Destinos' }).click();
    await page.getByRole('heading', { name: 'Destinos', level: 1 }).waitFor();

    // Act
    await page.getByLabel('URL HTTPS').fill(targetUrl);
    await page.getByLabel(/Eventos a reenviar/).fill('LOAN.*');
    await page.getByRole('button', { name: 'Añadir' }).click();
    const secret = await page.getByTestId('secret').textContent();
    const targetId = (await page.getByText(/^Secreto de firma de tgt_/).textContent())!.match(/tgt_[0-9a-f]{16}/)![0];
    await page.getByRole('button', { name: `Enviar una prueba ${targetId}` }).click();
    await page.getByText(`Prueba a ${targetId}: entregada (HTTP 200`).waitFor();
    const violations = await axeViolations(page);
    await shoot(page, 'targets-es');
    await page.getByLabel('Idioma').selectOption('en');
    await page.getByRole('heading', { name: 'Targets', level: 1 }).waitFor();
    const enViolations = await axeViolations(page);
    await shoot(page, 'targets-en');

    // Assess
    expect(secret).toMatch(/^whsec_/);
    expect(await world.receiver.receiver.deps.admin.targets.listTargets('default')).toContainEqual(
      expect.objectContaining({ targetId, url: targetUrl, events: ['LOAN.*'] }),
    );
    expect({ violations, enViolations }).toEqual({ violations: [], enViolations: [] });
    await context.close();
  });

  it('works at 320 px and tells a signed-out user to ask for a new link, without CSP violations', async () => {
    if (!needsBrowser()) return;
    // Prepare
    const { context, page } = await signedIn('viewer', 'pt');
    await page.setViewportSize({ width: 320, height: 700 });
    await page.getByRole('cell', { name: 'LOAN.REPAYMENT' }).first().waitFor();

    // Act
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    await shoot(page, 'events-320-pt');
    await page.getByRole('button', { name: 'Terminar sessão' }).click();
    await page.getByRole('heading', { name: 'A sua sessão terminou' }).waitFor();
    const violations = await axeViolations(page);
    await shoot(page, 'signed-out-pt');
    await page.reload();
    await page.getByRole('heading', { name: 'A sua sessão terminou' }).waitFor();

    // Assess
    expect(overflow).toBeLessThanOrEqual(320);
    expect(violations).toEqual([]);
    expect(cspViolations).toEqual([]);
    await context.close();
  });
});

// Keeps the keyboard path honest: the language picker and the first link are reachable with Tab alone.
describe('web console keyboard', () => {
  it('reaches the navigation and the language picker with Tab, focus visible', async () => {
    if (!needsBrowser()) return;
    // Prepare
    const { context, page } = await signedIn('viewer');
    await page.getByRole('cell', { name: 'LOAN.REPAYMENT' }).first().waitFor();

    // Act
    const focused: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      focused.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          const outline = getComputedStyle(el).outlineStyle;
          return `${el.tagName}:${el.id || el.textContent?.trim()}:${outline}`;
        }),
      );
    }

    // Assess
    expect(focused).toEqual(
      expect.arrayContaining([expect.stringMatching(/^A:Events:solid$/), expect.stringMatching(/^SELECT:lang:solid$/)]),
    );
    await waitFor(() => true);
    await context.close();
  });
});
