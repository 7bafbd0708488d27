// The fuzz suite (issue #10): generated bad CSVs, images, predictions, configs and HTTP requests, each a seeded
// mutation of a valid input. Every command must end cleanly — exit code 0–2, no stack trace, no JS error class, no
// heap blow-up (the CLI runs with a 768 MB heap cap), no hang — and refuse what is wrong naming its file, row and
// field; the web server must answer every request without a 5xx and keep serving. Counts are printed at the end.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { mulberry32, randInt } from '../../main/random';
import { startCore, type Core } from '../../main/services/core';
import { startWebServer, type WebServer } from '../../main/web/server';
import { SAMPLE_CSV, tempDir, writePng } from '../helpers/tmp';
import { smallConfig } from '../helpers/training';
import {
  HEADER,
  type TextCase,
  bboxCases,
  brokenImages,
  configCases,
  csvCellCases,
  csvStructureCases,
  predictionCases,
  validRows,
} from './inputs';
import { type CliResult, type Expectation, type Verdict, judge, pool, runCli } from './run-cli';
import { fuzzCases } from './tally';

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
let dir: string;
let cleanup: () => void;
const tally = new Map<string, Record<Verdict, number>>();
const failures: string[] = [];

function record(family: string, name: string, r: CliResult, want: Expectation): void {
  const { verdict, why } = judge(r, want);
  const t = tally.get(family) ?? { clean: 0, crash: 0, 'wrong accept': 0, 'wrong refusal': 0 };
  t[verdict]++;
  tally.set(family, t);
  if (verdict !== 'clean')
    failures.push(`${family} / ${name}: ${verdict}: ${why}\n    ${r.output.trim().split('\n').slice(0, 4).join('\n    ')}`);
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('ms-fuzz-'));
  for (const r of validRows()) await writePng(path.join(dir, r[1]!), 16, 16, r[1]!.charCodeAt(1));
  writeFileSync(path.join(dir, 'fuzz.csv'), `${[HEADER, ...validRows()].map((r) => r.join(',')).join('\n')}\n`);
});
afterAll(() => {
  const lines = [...tally].map(
    ([family, t]) =>
      `${family.padEnd(12)} ${Object.values(t).reduce((a, b) => a + b, 0)} cases: ${t.clean} clean, ${t.crash} crash, ${t['wrong accept']} wrong accept, ${t['wrong refusal']} wrong refusal`,
  );
  console.log(`fuzz (seed ${SEED})\n${lines.join('\n')}`);
  cleanup();
});

/** Writes each case to `name-i.ext` in the fuzz folder and runs `args(file)`; the message must name that file. */
async function runCases(family: string, cases: TextCase[], ext: string, args: (file: string) => string[]): Promise<void> {
  const results = await pool(
    cases.map((c, i) => async () => {
      const file = path.join(dir, `${family}-${i}.${ext}`);
      writeFileSync(file, c.text);
      return runCli(args(file));
    }),
    2,
  );
  cases.forEach((c, i) => {
    const want = c.want.outcome === 'reject' && c.want.file === undefined ? { ...c.want, file: `${family}-${i}.${ext}` } : c.want;
    record(family, c.name, results[i]!, want);
  });
}

describe('fuzz: every command ends cleanly and names what is wrong', () => {
  it('dataset CSVs (check): bad cells, boxes, damaged files', async () => {
    const rng = mulberry32(SEED);
    const cases = [...csvCellCases(rng, fuzzCases(16)), ...bboxCases(rng, fuzzCases(6)), ...csvStructureCases()];
    await runCases('csv', cases, 'csv', (file) => ['check', file]);
    expect(failures.filter((f) => f.startsWith('csv'))).toEqual([]);
  }, 300_000);

  it('images (check --images): empty, text, random bytes, truncated, a 60000×60000 header', async () => {
    const images = brokenImages();
    const cases: TextCase[] = images.map((img, k) => {
      writeFileSync(path.join(dir, img.name), img.bytes);
      const rows = validRows();
      const i = 4 + (k % 4); // a validation row
      rows[i]![1] = img.name;
      return {
        name: img.name,
        text: `${[HEADER, ...rows].map((r) => r.join(',')).join('\n')}\n`,
        want: { outcome: 'reject', row: i + 2, field: 'path' },
      };
    });
    await runCases('image', cases, 'csv', (file) => ['check', file, '--images']);
    expect(failures.filter((f) => f.startsWith('image'))).toEqual([]);
  }, 120_000);

  it('predictions (evaluate --embeddings): damaged vectors and files', async () => {
    const cases = predictionCases(mulberry32(SEED + 1), fuzzCases(8));
    await runCases('predictions', cases, 'json', (file) => ['evaluate', '--dataset', path.join(dir, 'fuzz.csv'), '--embeddings', file]);
    expect(failures.filter((f) => f.startsWith('predictions'))).toEqual([]);
  }, 300_000);

  it('configs (train): refused before any run exists, naming the key', async () => {
    const base = smallConfig(SAMPLE_CSV) as Record<string, unknown>;
    const validYaml = (overrides: string) => YAML.stringify({ ...base, ...(YAML.parse(overrides) ?? {}) });
    const cases = configCases(validYaml);
    const dataDirs = cases.map((_, i) => path.join(dir, `config-data-${i}`));
    await runCases('config', cases, 'yaml', (file) => ['train', file, '--data-dir', dataDirs[Number(/config-(\d+)/.exec(file)![1])]!]);
    // Failing early: no refused config left a run folder behind.
    for (const d of dataDirs) expect(existsSync(path.join(d, 'runs')), d).toBe(false);
    expect(failures.filter((f) => f.startsWith('config'))).toEqual([]);
  }, 300_000);
});

describe('fuzz: the web server answers every request and keeps serving', () => {
  let core: Core;
  let server: WebServer;
  beforeAll(async () => {
    const staticDir = path.join(dir, 'static');
    mkdirSync(staticDir, { recursive: true });
    writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
    core = await startCore(path.join(dir, 'web-data'), 'web', () => {});
    server = await startWebServer({ dispatch: core.dispatch, hub: core.hub, staticDir, log: () => {} });
  });
  afterAll(async () => {
    await server.close();
    await core.close();
  });

  /** Raw bytes on a socket (fetch would normalise the target); resolves with the status code, or 0 if none came. */
  function send(text: string | Buffer, cutAfter?: number): Promise<number> {
    return new Promise((resolve) => {
      const sock = net.connect(server.port, '127.0.0.1', () => {
        if (cutAfter === undefined) sock.end(text);
        else sock.write(text.slice(0, cutAfter), () => sock.destroy());
      });
      let got = '';
      sock.setTimeout(10_000, () => sock.destroy());
      sock.on('data', (d) => (got += d));
      sock.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0)));
      sock.on('error', () => resolve(0));
    });
  }

  it('300 generated requests: bad targets, methods, tokens, origins and bodies, some cut mid-way', async () => {
    const rng = mulberry32(SEED + 2);
    const pick = <T>(xs: readonly T[]) => xs[randInt(rng, xs.length)]!;
    const targets = [
      '/',
      '//',
      '/%ff',
      '/%00',
      '/api/call',
      '/api/call?x=%zz',
      '/api/events',
      '/../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      `/${'a'.repeat(9000)}`,
      '/index.html#x',
      '*',
      'http://evil.example/api/call',
    ];
    const bodies = [
      '',
      'null',
      '[]',
      '{"method":"runs.get","input":{"id":"x"}}',
      '{"method":"__proto__","input":{}}',
      '{"method":"datasets.thumbnail","input":{"root":"/","path":"etc/hostname"}}',
      '{"method":"datasets.inspect","input":{"csvPath":"/etc/passwd"}}',
      '{"method":"runs.delete","input":{"id":1,"deleteFiles":true}}',
      '{"method":"wizard.write","input":{"jobId":"x","out":"/etc/x.csv"}}',
      `{"method":"app.info","input":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      `{"method":"runs.list","input":{"search":"${'x'.repeat(2_000_000)}"}}`,
      '\xff\xfe\x00{',
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const method = pick(['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'BREW']);
      const target = pick(targets);
      const body = method === 'GET' ? '' : pick(bodies);
      const headers = [
        `Host: ${pick([`127.0.0.1:${server.port}`, 'evil.example', `localhost:${server.port}`, ''])}`,
        pick([`Authorization: Bearer ${server.token}`, 'Authorization: Bearer wrong', '', `Authorization: ${server.token}`]),
        pick(['', 'Origin: http://evil.example', `Origin: http://127.0.0.1:${server.port}`, 'Origin: null']),
        pick(['Content-Type: application/json', 'Content-Type: text/plain', '']),
        `Content-Length: ${pick([Buffer.byteLength(body), Buffer.byteLength(body) + 100, 0])}`,
        'Connection: close',
      ].filter(Boolean);
      const text = `${method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n${body}`;
      const cut = rng() < 0.15 ? randInt(rng, text.length) : undefined;
      const status = await send(text, cut);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500) failures.push(`http / ${method} ${target.slice(0, 40)} ${body.slice(0, 60)}: answered ${status}`);
    }
    const t = { clean: 300 - failures.filter((f) => f.startsWith('http')).length, crash: 0, 'wrong accept': 0, 'wrong refusal': 0 };
    // Still alive and serving a proper call after all of it.
    const res = await fetch(`http://127.0.0.1:${server.port}/api/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'app.info', input: {} }),
    });
    if (res.status !== 200) t.crash++;
    tally.set('http', t);
    expect(res.status).toBe(200);
    expect(failures.filter((f) => f.startsWith('http'))).toEqual([]);
    expect([...statuses.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
  }, 120_000);
});
