import path from 'node:path';
import type { TrainEvent } from '../../../shared/schemas/events';
import { ConfigError, readTrainConfig } from '../../engine/train/config-file';
import { defaultDataDir } from '../../paths';
import { preflight } from '../../services/preflight';
import { formatIssues } from '../../../shared/issues';
import { TrainingSupervisor } from '../../services/training';
import { RunStore } from '../../store/runs';
import { type Command, UsageError, err, out, parse } from '../args';
import { bar } from '../progress';
import { isOverallKey, shortMetricKey } from '../../../shared/metric-key';
import { shownEpoch } from '../../../shared/epochs';

const usage =
  'metric-studio train CONFIG.yaml [--set key=value ...] [--name NAME] [--data-dir DIR]\n       metric-studio train --resume RUN_ID [--data-dir DIR]';

/** Progress for people: a redrawn line on a terminal, plain lines (one per epoch and event) otherwise. */
function reporter(tty: boolean) {
  let lastLoss = NaN;
  let ips = NaN;
  return (e: TrainEvent) => {
    if (e.type === 'metrics') {
      for (const p of e.points) {
        lastLoss = p.values.loss ?? lastLoss;
        ips = p.values.img_per_s ?? ips;
      }
    } else if (e.type === 'progress' && e.phase === 'training' && tty) {
      process.stdout.write(
        `\r  epoch ${shownEpoch(e.epoch)} ${bar(e.epochStep, e.epochSteps)} ${e.epochStep}/${e.epochSteps}  loss ${lastLoss.toFixed(4)}  ${ips.toFixed(0)} img/s   `,
      );
    } else if (e.type === 'log') {
      (e.level === 'info' ? out : err)(`${tty ? '\r\x1b[2K' : ''}${e.level === 'info' ? '' : `${e.level}: `}${e.message}`);
    } else if (e.type === 'checkpoint' && e.kind === 'best') {
      out(`${tty ? '\r\x1b[2K' : ''}  best checkpoint (epoch ${shownEpoch(e.epoch)}): ${e.path}`);
    }
  };
}

export const trainCommand: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { set: { type: 'string', multiple: true }, name: { type: 'string' }, 'data-dir': { type: 'string' }, resume: { type: 'string' } },
      usage,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir();
    const store = await RunStore.open(dataDir);
    const supervisor = new TrainingSupervisor(store, null, dataDir);
    const report = reporter(Boolean(process.stdout.isTTY));
    let stopping = false;
    const onSigint = () => {
      if (stopping) return void supervisor.shutdown();
      stopping = true;
      err('\nStopping after the current step (Ctrl-C again to kill; the run can be resumed).');
      for (const id of running) supervisor.stop(id);
    };
    // Terminated (a closed terminal, a service manager): end the worker now, but write every metric it sent first.
    let terminated: NodeJS.Signals | null = null;
    const onTerm = (signal: NodeJS.Signals) => {
      terminated = signal;
      void supervisor.shutdown();
    };
    const running: number[] = [];
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onTerm);
    try {
      let started: { runId: number; outDir: string; done: Promise<void> };
      if (values.resume) {
        const id = Number(values.resume);
        if (!Number.isInteger(id)) throw new UsageError('--resume takes a run id');
        started = await supervisor.resume(id, report);
      } else {
        if (positionals.length !== 1) throw new UsageError(`train takes one config file\nusage: ${usage}`);
        const file = positionals[0]!;
        const { config, yaml, baseDir } = await readTrainConfig(file, values.set ?? []).catch((e) => {
          throw e instanceof ConfigError ? new UsageError(e.message) : e;
        });
        // Before a run exists: a broken dataset or a sampler that cannot fit fails now, not after the run is created.
        const issues = await preflight(config, baseDir, dataDir);
        if (issues.length) throw new UsageError(formatIssues(issues, '\n', file), 1);
        started = await supervisor.start({ config, configYaml: yaml, baseDir, name: values.name }, report);
      }
      running.push(started.runId);
      out(`run ${started.runId} — output in ${started.outDir}`);
      await started.done;
      const run = await store.getRun(started.runId);
      if (!run) throw new UsageError(`run ${started.runId} was deleted while it trained`, 1);
      // Its end could not be stored (a full disk): what happened was said above; the run shows as interrupted later.
      if (run.status === 'running' || run.status === 'queued') {
        out(`run ${run.id} ended, but its status could not be stored (see above)`);
        return 1;
      }
      if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K');
      out(`run ${run.id} ${run.status}${run.error ? `: ${run.error.split('\n')[0]}` : ''}`);
      const final = Object.entries(run.lastMetrics).filter(([k]) => isOverallKey(k));
      if (final.length) out(`final metrics: ${final.map(([k, v]) => `${shortMetricKey(k)} ${v.toFixed(4)}`).join('  ')}`);
      const ckpts = await store.checkpoints(run.id);
      for (const c of ckpts)
        out(
          `${c.kind} checkpoint: ${c.path} (epoch ${shownEpoch(c.epoch)}${c.metric_value !== null ? `, ${c.metric_key} ${c.metric_value.toFixed(4)}` : ''})`,
        );
      if (terminated) return terminated === 'SIGHUP' ? 129 : 143;
      return run.status === 'finished' ? 0 : run.status === 'stopped' ? 130 : 1;
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onTerm);
      await store.close();
    }
  },
};
