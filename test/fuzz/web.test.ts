// Fuzz class 5 of issue #30 — web mode is total: malformed WebSocket frames, slow and silent clients past the
// connection cap, wizard requests naming files that are not tables, and dataset roots that would reach the whole
// disk. The server runs as the real `serve` command in its own process, so a crash shows as its exit.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, randInt, type Rng } from '../../main/random';
import { BIN } from '../helpers/cli';
import { tempDir, writePng } from '../helpers/tmp';
import { FUZZ_SEED, Tally, fuzzCases } from './tally';

const tally = new Tally();
let dir: string;
let cleanup: () => void;
let child: ChildProcess;
let port = 0;
let token = '';
let stderr = '';
let home: string;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-fuzz-web-'));
  home = path.join(dir, 'home', 'user');
  mkdirSync(home, { recursive: true });
  child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', path.join(dir, 'data')], {
    env: { ...process.env, HOME: home, METRIC_STUDIO_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /Open (http\S+)/.exec(out);
      if (m) resolve(new URL(m[1]!));
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  port = Number(url.port);
  token = url.searchParams.get('token')!;
}, 60_000);

afterAll(() => {
  console.log(`fuzz web (seed ${FUZZ_SEED})\n${tally.report()}`);
  child?.kill('SIGTERM');
  cleanup();
});

const alive = () => child.exitCode === null && child.signalCode === null;

async function call(method: string, input: unknown): Promise<{ ok: boolean; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/call`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ method, input }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { ok: JSON.parse(text).ok === true, text };
}

/** The server answers a proper call: the verdict after every hostile case. */
async function serving(): Promise<boolean> {
  if (!alive()) return false;
  return call('app.info', {})
    .then((r) => r.ok)
    .catch(() => false);
}

// ---- WebSocket frames -------------------------------------------------------------------------------------------

function frame(o: { fin?: boolean; rsv?: number; opcode: number; masked?: boolean; payload?: Buffer; length?: bigint }): Buffer {
  const payload = o.payload ?? Buffer.alloc(0);
  const len = o.length ?? BigInt(payload.length);
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | o.opcode];
  const mask = (o.masked ?? true) ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (len < 126n) head.push(mask | Number(len));
  else if (len < 65536n) {
    head.push(mask | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(len));
  } else {
    head.push(mask | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(len);
  }
  const key = (o.masked ?? true) ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0);
  const body = Buffer.from(payload.map((b, i) => (key.length ? b ^ key[i % 4]! : b)));
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

type FrameCase = { name: string; bytes: Buffer };
const bytes = (rng: Rng, n: number) => Buffer.from(Array.from({ length: n }, () => randInt(rng, 256)));

/** One malformed frame (or stream) per case, of a kind drawn at random with random contents. */
function frameCases(rng: Rng, n: number): FrameCase[] {
  const kinds: ((r: Rng) => FrameCase)[] = [
    (r) => {
      const opcode = [3, 4, 5, 6, 7, 11, 12, 13, 14, 15][randInt(r, 10)]!;
      return { name: `reserved opcode ${opcode}`, bytes: frame({ opcode, payload: bytes(r, randInt(r, 20)) }) };
    },
    (r) => ({ name: 'unmasked text', bytes: frame({ opcode: 1 + randInt(r, 2), masked: false, payload: bytes(r, 5) }) }),
    (r) => ({ name: 'RSV bits', bytes: frame({ opcode: 1, rsv: 1 + randInt(r, 7), payload: Buffer.from('x') }) }),
    (r) => ({
      name: 'invalid UTF-8 text',
      bytes: frame({ opcode: 1, payload: Buffer.from([0x61, [0xff, 0xc3, 0xed, 0xf8][randInt(r, 4)]!, 0x28]) }),
    }),
    (r) => ({
      name: 'huge length',
      bytes: frame({ opcode: 2, length: [2n ** 63n, 2n ** 64n - 1n, 2n ** 53n + 1n, 2n ** 32n][randInt(r, 4)]!, payload: bytes(r, 8) }),
    }),
    (r) => ({ name: 'long control frame', bytes: frame({ opcode: [8, 9, 10][randInt(r, 3)]!, payload: bytes(r, 126 + randInt(r, 200)) }) }),
    (r) => ({ name: 'fragmented ping', bytes: frame({ opcode: 9, fin: false, payload: bytes(r, 4) }) }),
    (r) => ({ name: 'stray continuation', bytes: frame({ opcode: 0, payload: bytes(r, 1 + randInt(r, 10)) }) }),
    (r) => ({ name: 'over the size limit', bytes: frame({ opcode: 2, payload: bytes(r, 70_000 + randInt(r, 10_000)) }) }),
    (r) => {
      const code = [999, 1005, 1006, 5000, 2999][randInt(r, 5)]!;
      const p = Buffer.alloc(2);
      p.writeUInt16BE(code);
      return { name: `close code ${code}`, bytes: frame({ opcode: 8, payload: Buffer.concat([p, Buffer.from([0xff])]) }) };
    },
    (r) => ({ name: 'random bytes', bytes: bytes(r, 1 + randInt(r, 300)) }),
  ];
  return Array.from({ length: n }, (_, i) => kinds[i < kinds.length ? i : randInt(rng, kinds.length)]!(rng));
}

/** Opens the event stream, sends `bytes` after the handshake, and resolves when the server has closed it (or 3 s). */
function sendAfterHandshake(bytesOut: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let upgraded = false;
    sock.on('connect', () =>
      sock.write(
        `GET /api/events?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
    );
    sock.on('data', (d) => {
      if (!upgraded && d.toString('latin1').startsWith('HTTP/1.1 101')) {
        upgraded = true;
        sock.write(bytesOut);
      }
    });
    const timer = setTimeout(() => sock.destroy(), 3000);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    sock.on('error', () => {});
  });
}

describe('fuzz class 5: web mode is total', () => {
  it('malformed WebSocket frames close that socket, never the server', async () => {
    const cases = frameCases(mulberry32(FUZZ_SEED), fuzzCases(22));
    for (const c of cases) {
      await sendAfterHandshake(c.bytes);
      tally.add(
        'web frames',
        c.name,
        (await serving()) ? 'clean' : 'crash',
        alive() ? 'stopped answering' : `server exited: ${stderr.slice(-300)}`,
      );
      if (!alive()) break;
    }
    expect(tally.failuresOf('web frames')).toEqual([]);
  }, 180_000);

  it('slow and silent clients past the connection cap are closed, and the server serves again', async () => {
    const rng = mulberry32(FUZZ_SEED + 1);
    const n = fuzzCases(22) * 14; // 300 by default: more than the 256-connection cap
    const open = new Set<net.Socket>();
    const timers: NodeJS.Timeout[] = [];
    for (let i = 0; i < n; i++) {
      const sock = net.connect(port, '127.0.0.1');
      sock.on('error', () => {});
      sock.resume(); // reads what the server says, so its closing is seen
      open.add(sock);
      sock.on('close', () => open.delete(sock));
      const silent = rng() < 0.3;
      if (!silent) {
        const request = `GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`;
        let k = 0;
        // One byte every 0.5–2 s: each arrives long before any idle limit, the headers never finish.
        const every = 500 + randInt(rng, 1500);
        timers.push(setInterval(() => sock.writable && k < request.length - 4 && sock.write(request[k++]!), every));
      }
    }
    await new Promise((r) => setTimeout(r, 21_000)); // the headers limit is 15 s
    for (const t of timers) clearInterval(t);
    const hung = open.size;
    for (let i = 0; i < n; i++) tally.add('web slow clients', `client ${i}`, i < hung ? 'hang' : 'clean', 'still open after 21 s');
    for (const s of open) s.destroy();
    const ok = await serving();
    tally.add('web slow clients', 'serves afterwards', ok ? 'clean' : 'crash');
    expect(tally.failuresOf('web slow clients')).toEqual([]);
  }, 60_000);

  it('the wizard reads only folders and table files; dataset roots never reach the whole disk', async () => {
    // Files that are not tables, under names and links a request could use.
    const fifo = path.join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const png = await writePng(path.join(dir, 'img.png'));
    const link = path.join(dir, 'passwd.csv');
    symlinkSync('/etc/passwd', link);
    const firstLine = 'root:x:0:0';
    const wizardCases: [string, string][] = [
      ['/etc/passwd', 'columns'],
      ['/etc/passwd', 'analyze'],
      ['/dev/zero', 'columns'],
      [fifo, 'columns'],
      [fifo, 'analyze'],
      [png, 'columns'],
      [link, 'columns'],
      [link, 'analyze'],
      ['/', 'analyze'],
      [home, 'analyze'],
      [path.dirname(home), 'columns'],
      ['/etc', 'analyze'],
    ];
    for (const [source, kind] of wizardCases) {
      const r =
        kind === 'columns'
          ? await call('wizard.columns', { source }).catch((e: Error) => ({ ok: false, text: `hang: ${e.message}` }))
          : await call('wizard.analyze', { jobId: 'j', source, split: {} }).catch((e: Error) => ({
              ok: false,
              text: `hang: ${e.message}`,
            }));
      const outcome = r.text.startsWith('hang') ? 'hang' : r.ok || r.text.includes(firstLine) ? 'wrong accept' : 'clean';
      tally.add('web wizard', `${kind} ${source}`, outcome, r.text.slice(0, 200));
    }
    // A valid dataset under a root that is too broad: refused, and no thumbnail reads outside the rows.
    const data = path.join(dir, 'ds');
    mkdirSync(data);
    await writePng(path.join(data, 'a.png'));
    await writePng(path.join(data, 'b.png'));
    const csv = 'label,path,split,is_query,is_gallery\n0,a.png,validation,True,True\n0,b.png,validation,True,True\n';
    writeFileSync(path.join(data, 'df.csv'), csv);
    writeFileSync(
      path.join(home, 'df.csv'),
      csv
        .replaceAll(',a.png', `,${path.relative(home, path.join(data, 'a.png'))}`)
        .replaceAll(',b.png', `,${path.relative(home, path.join(data, 'b.png'))}`),
    );
    const rootCases: [string, string | undefined][] = [
      [path.join(data, 'df.csv'), '/'],
      [path.join(data, 'df.csv'), '//'],
      [path.join(data, 'df.csv'), '/tmp/..'],
      [path.join(data, 'df.csv'), home],
      [path.join(data, 'df.csv'), `${home}/`],
      [path.join(data, 'df.csv'), path.dirname(home)],
      [path.join(data, 'df.csv'), '/usr'],
      [path.join(home, 'df.csv'), undefined],
    ];
    for (const [csvPath, root] of rootCases) {
      const r = await call('datasets.inspect', { csvPath, ...(root === undefined ? {} : { root }) });
      tally.add('web roots', `inspect ${csvPath} root ${root}`, r.ok ? 'wrong accept' : 'clean', r.text.slice(0, 200));
    }
    for (const [root, p] of [
      ['/', 'etc/hostname'],
      [home, 'df.csv'],
      ['/', path.join(data, 'a.png').slice(1)],
    ] as const) {
      const r = await call('datasets.thumbnail', { root, path: p });
      tally.add('web roots', `thumbnail ${root} ${p}`, r.ok ? 'wrong accept' : 'clean', r.text.slice(0, 200));
    }
    // The same dataset under its own folder is fine: the check refuses roots, not datasets.
    const fine = await call('datasets.inspect', { csvPath: path.join(data, 'df.csv') });
    tally.add('web roots', 'a dataset in its own folder', fine.ok ? 'clean' : 'wrong refusal', fine.text.slice(0, 200));
    expect(alive()).toBe(true);
    expect([...tally.failuresOf('web wizard'), ...tally.failuresOf('web roots')]).toEqual([]);
  }, 120_000);
});
