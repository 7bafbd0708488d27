// A worker that sends one large result and exits at once, as a job ending with a report of megabytes does
// (test/integration/worker-port.test.ts).
import { port } from '../../main/engine/worker-port';

const p = port();
p.onMessage(() => {
  const mb = Number(process.env.RESULT_MB ?? 40);
  p.send({ type: 'job-progress', jobId: 'big', done: 1, total: 1, blob: 'x'.repeat(mb << 20) } as never);
  p.exit(0);
});
