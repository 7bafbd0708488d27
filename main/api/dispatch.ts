import {
  ApiError,
  type ApiErrorShape,
  type EventName,
  type EventPayload,
  isMethodName,
  type MethodArgs,
  type MethodName,
  type MethodOutput,
  methods,
} from '../../shared/api';
import { formatIssues, zodIssues } from '../../shared/issues';

/** One handler per contract method; a method missing here is a compile error. */
export type Handlers = {
  [M in MethodName]: (args: MethodArgs<M>) => Promise<MethodOutput<M>>;
};

export type CallResult = { ok: true; result: unknown } | { ok: false; error: ApiErrorShape };

/**
 * The single entry both transports call: validates the method name and its input against the contract,
 * runs the handler, and turns every failure into an ApiErrorShape (never a raw stack across the boundary).
 */
export function createDispatcher(handlers: Handlers, log: (msg: string) => void = () => {}) {
  return async function dispatch(method: unknown, rawInput: unknown): Promise<CallResult> {
    if (!isMethodName(method)) {
      return { ok: false, error: { code: 'unknown_method', message: `Unknown API method: ${String(method)}` } };
    }
    const parsed = methods[method].input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      const issues = zodIssues(parsed.error, '(input)');
      const message = `Invalid input for ${method}: ${formatIssues(issues)}`;
      return { ok: false, error: { code: 'invalid_input', message, issues } };
    }
    try {
      const handler = handlers[method] as (args: unknown) => Promise<unknown>;
      return { ok: true, result: await handler(parsed.data) };
    } catch (err) {
      if (err instanceof ApiError) return { ok: false, error: err.toShape() };
      const message = err instanceof Error ? err.message : String(err);
      log(`${method} failed: ${err instanceof Error && err.stack ? err.stack : message}`);
      return { ok: false, error: { code: 'failed', message } };
    }
  };
}
export type Dispatch = ReturnType<typeof createDispatcher>;

type Listener = (event: EventName, payload: unknown) => void;

/** Server-pushed events: services emit, each transport subscribes once and forwards to its clients. */
export class EventHub {
  private listeners = new Set<Listener>();
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const l of this.listeners) l(event, payload);
  }
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
