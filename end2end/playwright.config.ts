import { defineConfig } from '@playwright/test';
import { execSync } from 'node:child_process';

// A free port, unless the caller chose one (scripts/test does).
function freePort(): number {
  const out = execSync(
    `python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'`,
  );
  return Number(String(out).trim());
}

const port = Number(process.env.E2E_PORT || 0) || freePort();
process.env.E2E_PORT = String(port);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    },
  },
  // A fresh SQLite database, an operator and an admin token, then
  // `fluxbilling serve` on the free port (see start-server.sh).
  webServer: {
    command: `bash ./start-server.sh ${port}`,
    url: `${baseURL}/healthz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
