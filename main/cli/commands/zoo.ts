import { startCore } from '../../services/core';
import { defaultDataDir } from '../../paths';
import path from 'node:path';
import { type Command, UsageError, out, parse } from '../args';

const usage = 'metric-studio zoo list [--json] [--data-dir DIR]';

export const zoo: Command = {
  name: 'zoo',
  summary: 'List pretrained models in the zoo',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' }, 'data-dir': { type: 'string' } }, usage);
    if (values.help) {
      out(usage);
      return 0;
    }
    const sub = positionals[0] ?? 'list';
    if (sub !== 'list') throw new UsageError(`Unknown zoo subcommand "${sub}"\nusage: ${usage}`);
    const core = await startCore(values['data-dir'] ? path.resolve(values['data-dir']) : defaultDataDir(), 'web');
    try {
      const res = await core.dispatch('zoo.list', {});
      if (!res.ok) throw new Error(res.error.message);
      const entries = res.result as { key: string; name: string; embeddingDim: number; licence: string; installed: boolean }[];
      if (values.json) out(JSON.stringify(entries, null, 2));
      else
        for (const e of entries)
          out(
            `${e.key.padEnd(28)} ${String(e.embeddingDim).padStart(5)}-d  ${e.licence.padEnd(5)} ${e.installed ? 'installed' : '—'}  ${e.name}`,
          );
      return 0;
    } finally {
      await core.close();
    }
  },
};
