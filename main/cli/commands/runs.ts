import path from 'node:path';
import { defaultDataDir } from '../../paths';
import { RunStore } from '../../store/runs';
import { type Command, UsageError, out, parse } from '../args';

const usage = 'metric-studio runs list|show ID [--json] [--data-dir DIR]';

export const runs: Command = {
  name: 'runs',
  summary: 'List and show runs in the run store',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' }, 'data-dir': { type: 'string' } }, usage);
    if (values.help) return out(usage), 0;
    const [sub = 'list', id] = positionals;
    const store = await RunStore.open(values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir());
    try {
      if (sub === 'list') {
        const list = await store.listRuns();
        if (values.json) out(JSON.stringify(list, null, 2));
        else if (list.length === 0) out('No runs yet.');
        else for (const r of list) out(`${String(r.id).padStart(5)}  ${r.status.padEnd(11)} ${r.name}  ${r.datasetCsv ?? ''}`);
        return 0;
      }
      if (sub === 'show') {
        const runId = Number(id);
        if (!Number.isInteger(runId)) throw new UsageError(`runs show needs a run id\nusage: ${usage}`);
        const run = await store.getRun(runId);
        if (!run) throw new UsageError(`No run with id ${runId}`, 1);
        out(values.json ? JSON.stringify(run, null, 2) : `${run.id} ${run.name} [${run.status}]\n${run.configYaml}`);
        return 0;
      }
      throw new UsageError(`Unknown runs subcommand "${sub}"\nusage: ${usage}`);
    } finally {
      await store.close();
    }
  },
};
