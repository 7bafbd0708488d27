import type { ApiClient } from '../../../shared/api';
import { createClient } from './client';

let client: ApiClient | null = null;

/** The app-wide API client; tests install their own with setApi. */
export function api(): ApiClient {
  client ??= createClient();
  return client;
}
export function setApi(c: ApiClient): void {
  client = c;
}
