/**
 * The console as the local server serves it, over HTTP without a browser: security headers, caching, the
 * precompressed variants, the size budget (first view ≤ 50 KB on the wire, JS ≤ 30 KB gzip), the session
 * exchange's cookie and CSRF rules, and `cli console link`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../lambdas/cli/program';
import { buildConsole } from '../../lambdas/console/build';
import { startTestReceiver, type TestReceiver } from '../helpers/receiver';

const FIRST_VIEW_BUDGET = 50 * 1024;
const JS_GZIP_BUDGET = 30 * 1024;

let receiver: TestReceiver;
let assetsDir: string;

async function link(args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text) },
    env: { DATA_DIR: receiver.dataDir },
  };
  const code = await runCli(['--local', '--data-dir', receiver.dataDir, '--json', 'console', 'link', ...args], { io });
  return { code, stdout, stderr };
}

const tokenOf = (url: string) => /#login=(fcl_[A-Za-z0-9_-]+)$/.exec(url)![1]!;

function exchange(token: string, headers: Record<string, string> = {}) {
  const origin = new URL(receiver.url);
  return fetch(`${receiver.url}/console/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-fhr-console': '1', origin: origin.origin, ...headers },
    body: JSON.stringify({ token }),
  });
}

beforeAll(async () => {
  assetsDir = mkdtempSync(path.join(tmpdir(), 'fhr-console-assets-'));
  await buildConsole(assetsDir);
  receiver = await startTestReceiver({ env: { CONSOLE_ASSETS_DIR: assetsDir } });
});

afterAll(async () => {
  await receiver.stop();
  rmSync(assetsDir, { recursive: true, force: true });
});

describe('console assets', () => {
  it('serves the page no-store with a strict CSP, and hashed assets immutable, Brotli or gzip as accepted', async () => {
    // Act
    const page = await fetch(`${receiver.url}/console`, { headers: { 'accept-encoding': 'br' } });
    const html = await page.text();
    const script = /src="(\/console\/assets\/app\.[0-9a-f]+\.js)"/.exec(html)![1]!;
    const gz = await fetch(`${receiver.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    const plain = await fetch(`${receiver.url}${script}`, { headers: { 'accept-encoding': 'identity' } });
    const missing = await fetch(`${receiver.url}/console/assets/app.0123456789ab.js`);

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-encoding')).toBe('br');
    const csp = page.headers.get('content-security-policy')!;
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"])
      expect(csp).toContain(directive);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(html).not.toMatch(/<script>|style=/);
    expect(gz.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await gz.text()).toBe(await plain.text());
    expect(missing.status).toBe(404);
  });

  it('keeps the first view within 50 KB on the wire and the script within 30 KB gzip', async () => {
    // Prepare
    const wire = async (url: string) => {
      const response = await fetch(url, { headers: { 'accept-encoding': 'br, gzip' } });
      const body = Buffer.from(await response.arrayBuffer());
      // fetch decodes: the encoded size is what content-length announced.
      let headerBytes = 0;
      response.headers.forEach((value, name) => {
        headerBytes += name.length + value.length + 4;
      });
      return { html: body.toString('utf8'), bytes: Number(response.headers.get('content-length')) + headerBytes };
    };

    // Act
    const page = await wire(`${receiver.url}/console`);
    const assets = [...page.html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    const sizes = await Promise.all(assets.map((a) => wire(`${receiver.url}${a}`)));
    const script = assets.find((a) => a.endsWith('.js'))!;
    const raw = await fetch(`${receiver.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });

    // Assess
    const total = page.bytes + sizes.reduce((n, s) => n + s.bytes, 0);
    expect(assets).toHaveLength(2);
    expect(total).toBeLessThanOrEqual(FIRST_VIEW_BUDGET);
    expect(Number(raw.headers.get('content-length'))).toBeLessThanOrEqual(JS_GZIP_BUDGET);
  });
});

describe('console sign-in over HTTP', () => {
  it('console link prints a one-time URL; the exchange sets a __Host- cookie once; a second use is refused', async () => {
    // Act
    const printed = await link(['default', '--role', 'editor', '--ttl', '5m']);
    const { url } = JSON.parse(printed.stdout) as { url: string };
    const first = await exchange(tokenOf(url));
    const second = await exchange(tokenOf(url));

    // Assess
    expect(printed.code).toBe(0);
    expect(url).toMatch(new RegExp(`^${receiver.url}/console#login=fcl_`));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ tenantId: 'default', role: 'editor' });
    const cookie = first.headers.getSetCookie();
    expect(cookie).toHaveLength(1);
    expect(cookie[0]).toMatch(
      /^__Host-fhr_console=fcs_[A-Za-z0-9_-]+; Path=\/; Max-Age=\d+; Secure; HttpOnly; SameSite=Strict$/,
    );
    expect(second.status).toBe(401);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('session_expired');
    expect(receiver.logger.text()).not.toContain(tokenOf(url));
  });

  it('refuses the exchange without the JSON type, the custom header or a same-origin Origin (CSRF)', async () => {
    // Prepare
    const tokens = await Promise.all(
      [1, 2, 3].map(async () => tokenOf(JSON.parse((await link(['default'])).stdout).url)),
    );

    // Act
    const noHeader = await exchange(tokens[0]!, { 'x-fhr-console': '' });
    const formType = await exchange(tokens[1]!, { 'content-type': 'text/plain' });
    const otherSite = await exchange(tokens[2]!, { origin: 'https://evil.example' });

    // Assess
    expect([noHeader.status, formType.status, otherSite.status]).toEqual([403, 403, 403]);
  });

  it('refuses a bad role or ttl as usage errors', async () => {
    // Act
    const role = await link(['default', '--role', 'owner']);
    const ttl = await link(['default', '--ttl', '3d']);

    // Assess
    expect(role.code).toBe(2);
    expect(ttl.code).toBe(2);
  });
});
