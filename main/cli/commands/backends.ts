import { type Command, out, parse } from '../args';
import { adapterLabel } from '../../engine/webgpu';

const usage = 'metric-studio backends [--json]';

/** Which compute backends load here, which one `auto` takes, and the GPU each would run on. */
export const backends: Command = {
  usage,
  async run(argv) {
    const { values } = parse(argv, { json: { type: 'boolean' } }, usage);
    if (values.help) {
      out(usage);
      return 0;
    }
    // Loaded here, not at the top: the probe initialises tfjs, which no other command's --help should pay for.
    const { probeBackends } = await import('../../engine/backends');
    const report = await probeBackends();
    if (values.json) {
      out(JSON.stringify(report, null, 2));
      return 0;
    }
    const width = Math.max(...report.probes.map((p) => p.name.length));
    for (const p of report.probes) {
      const mark = p.name === report.selected ? '→' : ' ';
      out(`${mark} ${p.name.padEnd(width)}  ${p.available ? 'loads' : 'unavailable'}: ${p.detail}`);
      if (p.adapter) {
        const mb = (key: string) => (p.adapter!.limits[key] ? `${Math.round(p.adapter!.limits[key]! / 2 ** 20)} MB` : '?');
        out(
          `  ${' '.repeat(width)}  GPU: ${adapterLabel(p.adapter)}; largest buffer ${mb('maxBufferSize')}, largest binding ${mb('maxStorageBufferBindingSize')}`,
        );
      }
    }
    out(`\nauto trains on ${report.selected}; a config's \`backend:\` names another.`);
    return 0;
  },
};
