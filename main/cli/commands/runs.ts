import path from 'node:path';
import { defaultDataDir } from '../../paths';
import { compareRuns } from '../../services/compare';
import { deleteRunAndFiles } from '../../services/run-files';
import { duration } from '../../../shared/format';
import { RunBusyError, RunStore } from '../../store/runs';
import { type Command, UsageError, out, parse } from '../args';
import { isOverallKey, shortMetricKey } from '../../../shared/metric-key';
import { againstBaselines, verdictText } from '../../../shared/baselines';
import { shownEpoch } from '../../../shared/epochs';

const usage = 'metric-studio runs list|show ID|compare ID ID...|delete ID [--json] [--keep-files] [--data-dir DIR]';

const ids = (args: string[]) =>
  args.map((a) => {
    const n = Number(a);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`"${a}" is not a run id\nusage: ${usage}`);
    return n;
  });

export const runs: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { json: { type: 'boolean' }, 'data-dir': { type: 'string' }, 'keep-files': { type: 'boolean' } },
      usage,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const [sub = 'list', ...rest] = positionals;
    const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
    const store = await RunStore.open(dataDir);
    try {
      if (sub === 'list') {
        const list = await store.listRuns();
        if (values.json) out(JSON.stringify(list, null, 2));
        else if (list.length === 0) out('No runs yet.');
        else {
          out(`${'id'.padStart(5)}  ${'status'.padEnd(11)} ${'duration'.padEnd(9)} ${'best'.padEnd(19)} name`);
          for (const r of list) {
            const best = r.best ? `${shortMetricKey(r.best.key)} ${r.best.value.toFixed(4)}` : '—';
            out(
              `${String(r.id).padStart(5)}  ${r.status.padEnd(11)} ${duration(r.startedAt, r.endedAt).padEnd(9)} ${best.padEnd(19)} ${r.name}${r.tags.length ? `  [${r.tags.join(', ')}]` : ''}`,
            );
          }
        }
        return 0;
      }
      if (sub === 'show') {
        const [id] = ids(rest);
        if (id === undefined) throw new UsageError(`runs show needs a run id\nusage: ${usage}`);
        const run = await store.getRun(id);
        if (!run) throw new UsageError(`No run with id ${id}`, 1);
        const checkpoints = await store.checkpoints(id);
        const verdict = run.best ? againstBaselines(run.best.key, run.best.value, run.baselines) : null;
        if (values.json)
          out(
            JSON.stringify(
              { ...run, checkpoints, verdict: verdict && { ...verdict, text: verdictText(run.best!.key, run.best!.value, verdict) } },
              null,
              2,
            ),
          );
        else {
          out(`run ${run.id}: ${run.name} [${run.status}]  backend ${run.backend ?? '—'}  ${duration(run.startedAt, run.endedAt)}`);
          if (run.error) out(`error: ${run.error}`);
          if (run.datasetCsv)
            out(`  dataset ${run.datasetCsv}${run.datasetDigest ? ` (sha256 ${run.datasetDigest} when it started)` : ''}`);
          for (const [k, v] of Object.entries(run.lastMetrics).filter(([k]) => isOverallKey(k))) out(`  ${k} ${v.toFixed(4)}`);
          if (run.best) {
            out(
              `  best checkpoint ${run.best.key} ${run.best.value.toFixed(4)} (epoch ${shownEpoch(run.best.epoch)}); untrained ${run.best.untrained?.toFixed(4) ?? '—'}`,
            );
            for (const b of run.baselines) out(`  baseline ${b.label}: ${b.metrics[run.best.key]?.toFixed(4) ?? '—'}`);
            if (verdict) out(`${verdict.beaten ? '' : 'warning: '}${verdictText(run.best.key, run.best.value, verdict)}`);
          }
          for (const c of checkpoints) out(`  ${c.kind} checkpoint: ${c.path} (epoch ${shownEpoch(c.epoch)})`);
          out('config:');
          out(run.configYaml.trimEnd());
        }
        return 0;
      }
      if (sub === 'compare') {
        const list = ids(rest);
        if (list.length < 2 || list.length > 10) throw new UsageError(`runs compare takes 2 to 10 run ids\nusage: ${usage}`);
        const details = [];
        for (const id of list) {
          const r = await store.getRun(id);
          if (!r) throw new UsageError(`No run with id ${id}`, 1);
          details.push(r);
        }
        const cmp = compareRuns(details);
        if (values.json) out(JSON.stringify(cmp, null, 2));
        else {
          const w = 14;
          out(`${''.padEnd(28)}${details.map((r) => `#${r.id}`.padEnd(w)).join('')}`);
          out('final metrics:');
          for (const m of cmp.metrics)
            out(`  ${m.key.slice(8).padEnd(26)}${m.values.map((v) => (v === null ? '—' : v.toFixed(4)).padEnd(w)).join('')}`);
          out(cmp.configDiff.length ? 'config differences:' : 'configs are identical');
          for (const d of cmp.configDiff) out(`  ${d.key.padEnd(26)}${d.values.map((v) => (v ?? '—').padEnd(w)).join('')}`);
        }
        return 0;
      }
      if (sub === 'delete') {
        const [id] = ids(rest);
        if (id === undefined) throw new UsageError(`runs delete needs a run id\nusage: ${usage}`);
        const run = await store.getRun(id);
        if (!run) throw new UsageError(`No run with id ${id}`, 1);
        if (run.status === 'running' || run.status === 'queued') throw new UsageError(`Run ${id} is ${run.status}: stop it first`, 1);
        const removed = await deleteRunAndFiles(store, dataDir, id, !values['keep-files']).catch((e: unknown) => {
          throw e instanceof RunBusyError ? new UsageError(e.message, 1) : e;
        });
        out(values.json ? JSON.stringify({ deleted: id, removedFolder: removed }) : `deleted run ${id}${removed ? ` and ${removed}` : ''}`);
        return 0;
      }
      throw new UsageError(`Unknown runs subcommand "${sub}"\nusage: ${usage}`);
    } finally {
      await store.close();
    }
  },
};
