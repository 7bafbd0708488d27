// npm run test:mutation [-- FOLDER...]: StrykerJS over each core folder in turn, then the mutation score of each
// (killed + timed out) / (killed + timed out + survived + no coverage); exit 1 when one is below 80 %.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FOLDERS } from '../stryker.config.mjs';

const GOAL = 80;
const root = path.resolve(import.meta.dirname, '..');
const asked = process.argv.slice(2);
for (const f of asked) if (!(f in FOLDERS)) throw new Error(`unknown folder ${f} (one of: ${Object.keys(FOLDERS).join(', ')})`);
const folders = asked.length ? asked : Object.keys(FOLDERS);

for (const folder of folders) {
  const r = spawnSync('npx', ['stryker', 'run'], { cwd: root, stdio: 'inherit', env: { ...process.env, MUTATION_FOLDER: folder } });
  if (r.status !== 0) console.error(`stryker failed on ${folder} (exit ${r.status})`);
}

/** Counts by status over every file of a mutation-testing-report-schema JSON report. */
function scoreOf(report) {
  const n = {};
  for (const file of Object.values(report.files)) for (const m of file.mutants) n[m.status] = (n[m.status] ?? 0) + 1;
  const detected = (n.Killed ?? 0) + (n.Timeout ?? 0);
  const undetected = (n.Survived ?? 0) + (n.NoCoverage ?? 0);
  return { ...n, score: (100 * detected) / Math.max(1, detected + undetected) };
}

let low = false;
console.log('\nfolder      score  killed  timeout  survived  no-cov  compile-err');
for (const folder of folders) {
  const file = path.join(root, 'reports', 'mutation', `${folder}.json`);
  if (!existsSync(file)) {
    console.log(`${folder.padEnd(10)}  (no report)`);
    low = true;
    continue;
  }
  const s = scoreOf(JSON.parse(readFileSync(file, 'utf8')));
  low ||= s.score < GOAL;
  const cells = [s.Killed, s.Timeout, s.Survived, s.NoCoverage, s.CompileError].map((x) => String(x ?? 0));
  console.log(`${folder.padEnd(10)} ${s.score.toFixed(1).padStart(6)}  ${cells.map((c, i) => c.padStart([6, 7, 8, 6, 11][i])).join('  ')}`);
}
process.exitCode = low ? 1 : 0;
