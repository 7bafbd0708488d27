// A job's last message reaches the supervisor however large it is: the worker leaves only once its sends are handed
// to the channel (a 70,000-row quality report was lost when the worker exited on a timer).
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const WORKER = path.resolve(import.meta.dirname, '../helpers/big-result-worker.ts');

function bigResult(mb: number): Promise<{ received: number; code: number | null }> {
  return new Promise((resolve) => {
    const child = fork(WORKER, [], {
      execArgv: ['--import', tsx],
      env: { ...process.env, RESULT_MB: String(mb) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let received = 0;
    child.on('message', (m) => {
      received = ((m as { blob?: string }).blob ?? '').length;
    });
    child.on('exit', (code) => setTimeout(() => resolve({ received, code }), 50));
    child.send({ type: 'probe' }); // any request the channel takes: this worker answers each one with its big result
  });
}

describe('the worker channel', () => {
  it('delivers a last message of 40 and 120 MB before the worker exits', async () => {
    for (const mb of [40, 120]) {
      const { received, code } = await bigResult(mb);
      expect(code).toBe(0);
      expect(received).toBe(mb << 20);
    }
  }, 60_000);
});
