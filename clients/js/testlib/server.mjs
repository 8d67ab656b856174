// Starts the real session_echo example (crates/capstan/examples) on a free
// port for the integration tests, and stops it after.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository's root (clients/js/testlib/ is three levels down). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Where the session_echo binary is: $CAPSTAN_SESSION_ECHO, or the debug
 * build in the repository's cargo target ($CARGO_TARGET_DIR, else target/).
 */
export const SESSION_ECHO =
  process.env.CAPSTAN_SESSION_ECHO ??
  path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug/examples/session_echo');

/**
 * Starts session_echo on 127.0.0.1, port chosen by the system, with `env`
 * (e.g. SESSION_HEARTBEAT_MS); resolves once it prints its address.
 */
export function startServer(env = {}) {
  // Missing, the integration tests fail (they are not skipped): a run
  // without the server would pass without testing anything.
  if (!existsSync(SESSION_ECHO)) {
    return Promise.reject(
      new Error(`no session_echo at ${SESSION_ECHO}: cargo build -p capstan --example session_echo (or set CAPSTAN_SESSION_ECHO)`),
    );
  }
  const child = spawn(SESSION_ECHO, ['127.0.0.1:0'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('session_echo printed no address within 20 s')), 20000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`session_echo exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening on http:\/\/(\S+):(\d+)$/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      const port = Number(m[2]);
      resolve({
        port,
        url: (path, scheme = 'ws') => `${scheme}://127.0.0.1:${port}${path}`,
        stop: () => new Promise((done) => {
          child.removeAllListeners('exit');
          child.once('exit', done);
          child.kill();
        }),
      });
    });
  });
}
