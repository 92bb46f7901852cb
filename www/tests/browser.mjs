// Starts the static server and Debian's Chromium for the end-to-end tests. playwright-core is
// used without its own browser download: it drives /usr/bin/chromium.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const serveScript = fileURLToPath(new URL('../serve.mjs', import.meta.url));

/** Serves dist/ on a free loopback port; resolves to { origin, close }. */
export function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [serveScript], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(String(chunk));
      if (match) resolve({ origin: `http://127.0.0.1:${match[1]}`, close: () => child.kill() });
    });
  });
}

/**
 * Launches headless Chromium with the flags it needs as root on a machine without network.
 * `webgpu` adds --enable-unsafe-webgpu, without which headless Chromium offers no adapter.
 */
export async function launchBrowser({ webgpu = false } = {}) {
  const userDataDir = await mkdtemp(join(tmpdir(), 'dfdx-playground-chromium-'));
  const args = [
    '--no-sandbox',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args,
    viewport: { width: 1400, height: 1000 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
