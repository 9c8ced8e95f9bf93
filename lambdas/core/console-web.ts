/**
 * Serving the web console: the page at `/console` (never cached: it names the current asset hashes) and hashed
 * assets under `/console/assets/` (cached for good). HTTP APIs do not compress, so assets are built gzip- and
 * Brotli-compressed and the variant the browser accepts is chosen here.
 */
import { NotFoundError } from './errors';
import { header, type HttpRequest, type HttpResponse } from './http';
import type { ConsoleAsset, ConsoleAssets } from './ports';

export const CONSOLE_PAGE = 'index.html';

/** Scripts, styles and API calls from this origin only; no framing, no inline code, no plugins. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
} as const;

function negotiate(request: HttpRequest, asset: ConsoleAsset): { body: Buffer; encoding?: 'br' | 'gzip' } {
  const accepted = (header(request, 'accept-encoding') ?? '').toLowerCase();
  const accepts = (name: string) =>
    accepted.split(',').some((part) => {
      const [token, ...params] = part.trim().split(';');
      return token === name && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
    });
  if (asset.br && accepts('br')) return { body: asset.br, encoding: 'br' };
  if (asset.gzip && accepts('gzip')) return { body: asset.gzip, encoding: 'gzip' };
  return { body: asset.identity };
}

function serve(request: HttpRequest, asset: ConsoleAsset, cacheControl: string): HttpResponse {
  const { body, encoding } = negotiate(request, asset);
  return {
    statusCode: 200,
    headers: {
      'content-type': asset.contentType,
      'cache-control': cacheControl,
      vary: 'accept-encoding',
      ...(encoding ? { 'content-encoding': encoding } : {}),
      ...SECURITY_HEADERS,
    },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}

function notBuilt(): HttpResponse {
  return {
    statusCode: 503,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS },
    body: 'The console is not built in this deployment: run `npm run build:console`.',
  };
}

export function handleConsolePage(request: HttpRequest, assets: ConsoleAssets): HttpResponse {
  const page = assets.get(CONSOLE_PAGE);
  return page ? serve(request, page, 'no-store') : notBuilt();
}

export function handleConsoleAsset(request: HttpRequest, assets: ConsoleAssets): HttpResponse {
  const name = request.params.file ?? '';
  const asset =
    name !== CONSOLE_PAGE && /^[a-z0-9-]+\.[0-9a-f]{8,}\.(js|css)$/.test(name) ? assets.get(name) : undefined;
  if (!asset) throw new NotFoundError(`The console has no asset "${name}".`);
  return serve(request, asset, 'public, max-age=31536000, immutable');
}
