import path from 'node:path';
import { startCore } from '../../services/core';
import { appRoot, defaultDataDir } from '../../paths';
import { startWebServer } from '../../web/server';
import { type Command, UsageError, out, parse } from '../args';

const usage = 'metric-studio serve [--port N] [--data-dir DIR]';

/** Starts web mode and resolves once it is listening; the process then lives until a signal. */
export async function serveWeb(options: { port?: number; dataDir?: string; log?: (m: string) => void }) {
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : defaultDataDir();
  const core = await startCore(dataDir, 'web');
  const server = await startWebServer({
    dispatch: core.dispatch,
    hub: core.hub,
    staticDir: path.join(appRoot(), 'dist', 'renderer'),
    port: options.port,
  });
  const stop = async () => {
    await server.close();
    await core.close();
  };
  return { core, server, stop };
}

export const serve: Command = {
  usage,
  async run(argv) {
    const { values } = parse(argv, { port: { type: 'string' }, 'data-dir': { type: 'string' } }, usage);
    if (values.help) {
      out(usage);
      return 0;
    }
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError('--port must be 0–65535');
    const { server, core, stop } = await serveWeb({ port, dataDir: values['data-dir'] });
    out(`Metric Studio web mode — data in ${core.dataDir}`);
    out(`Open ${server.url}`);
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await stop();
    return 0;
  },
};
