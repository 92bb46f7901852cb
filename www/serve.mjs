// Serves the built site (dist/) on the loopback interface. Node's standard library only, so a
// fresh machine needs nothing beyond `npm ci`.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../dist/', import.meta.url)));
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  // WebAssembly.instantiateStreaming requires this type.
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.csv': 'text/csv; charset=utf-8',
  '.woff2': 'font/woff2',
};

// The page loads nothing from other origins; the policy makes the browser enforce that.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
].join('; ');

async function resolveFile(urlPath) {
  const path = normalize(decodeURIComponent(urlPath.split('?')[0]));
  const file = join(root, path);
  if (!file.startsWith(root)) return null;
  const info = await stat(file).catch(() => null);
  if (info?.isDirectory()) return join(file, 'index.html');
  return info ? file : null;
}

const server = createServer(async (request, response) => {
  const file = await resolveFile(request.url ?? '/').catch(() => null);
  const body = file && (await readFile(file).catch(() => null));
  if (!body) {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end(`Not found: ${request.url}\n`);
    return;
  }
  response.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': contentSecurityPolicy,
    'cache-control': 'no-cache',
  });
  response.end(body);
});

server.on('error', (error) => {
  console.error(`Could not serve on ${host}:${port}: ${error.message}. Set PORT to a free port.`);
  process.exit(1);
});

server.listen(port, host, () => {
  const { port: actual } = server.address();
  console.log(`dfdx-playground is served at http://${host}:${actual}/ (Ctrl+C stops it)`);
});
