/**
 * A full disk or a read-only folder, said once in words: SQLite's SQLITE_FULL and the file system's ENOSPC mean the same to a user —
 * free space on the disk that holds this folder, then resume — and neither is a bug to print a stack for.
 */
export function storageMessage(err: unknown, folder: string): string | null {
  const e = err as { code?: unknown; message?: unknown } | null;
  const text = `${e?.code ?? ''} ${e?.message ?? ''}`;
  if (/SQLITE_READONLY|EROFS|readonly database|read-only file system/i.test(text))
    return `${folder} is read-only: its runs can be read, compared and evaluated here, not trained, resumed or changed`;
  if (!/SQLITE_FULL|ENOSPC|no space left|database or disk is full/i.test(text)) return null;
  return `The disk holding ${folder} is full: free some space there, then resume the run`;
}
