import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * The digest of a file, in the form `expected` is written in (SRI `sha512-…`, or hex sha256 for anything else):
 * a download checked against its manifest, a dataset CSV a run read, the files a stored embedding set came from.
 */
export async function fileDigest(file: string, expected = 'hex'): Promise<string> {
  const sri = /^(sha256|sha384|sha512)-/.exec(expected);
  const hash = createHash(sri ? sri[1]! : 'sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return sri ? `${sri[1]}-${hash.digest('base64')}` : hash.digest('hex');
}
