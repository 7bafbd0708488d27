// The web transport's event stream: a dropped WebSocket reconnects, and since the events sent meanwhile are gone,
// the client then says "any run may have changed" so that pages read their runs again (a missed "stopped" left a
// run page on "running").
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { webClient } from '../../renderer/src/api/client';

let wss: WebSocketServer | null = null;
afterEach(() => wss?.close());

describe('web client events', () => {
  it('passes events on, and after a reconnect says that any run may have changed', async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const { port } = wss.address() as AddressInfo;
    const client = webClient(`http://127.0.0.1:${port}`, 't', WebSocket as unknown as typeof globalThis.WebSocket);
    const seen: (number | null)[] = [];
    client.on('runs.changed', (e) => seen.push(e.runId));

    const [first] = (await once(wss, 'connection')) as [WebSocket];
    first.send(JSON.stringify({ event: 'runs.changed', payload: { runId: 3 } }));
    await expect.poll(() => seen).toEqual([3]);

    first.terminate();
    const [second] = (await once(wss, 'connection')) as [WebSocket];
    await expect.poll(() => seen).toEqual([3, null]);
    second.send(JSON.stringify({ event: 'runs.changed', payload: { runId: 4 } }));
    await expect.poll(() => seen).toEqual([3, null, 4]);
    second.terminate();
    await once(wss, 'connection');
    await expect.poll(() => seen).toEqual([3, null, 4, null]);
    for (const c of wss.clients) c.close();
  });
});
