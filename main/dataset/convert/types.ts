/** One image found in the source, before the split: what every source (folder, table, OML CSV) produces. */
export interface SourceItem {
  /** Path relative to the source root, forward slashes. */
  path: string;
  /** The label's name as the source spells it (folder name or table cell). */
  labelName: string;
  category: string | null;
  sequence: string | null;
  /** x_1, x_2, y_1, y_2 */
  bbox: [number, number, number, number] | null;
  /** The source's own split, when it has one and the user keeps it. */
  split: 'train' | 'validation' | null;
  isQuery: boolean | null;
  isGallery: boolean | null;
  /** Where the item came from, for messages: its file (a folder's), or its row in the table (a number: a million
   * "row N" strings, made for the rare message, were a tenth of a table's memory). */
  origin: string | number;
}

/** An item's origin as a message says it: "row 12", or the file. */
export const originText = (it: Pick<SourceItem, 'origin'>) => (typeof it.origin === 'number' ? `row ${it.origin}` : it.origin);

/** Facts about the image file itself, gathered while scanning. */
export interface ImageFacts {
  ok: boolean;
  width: number;
  height: number;
  /** The content's digest, or null when the file was not read (`checkImages: false`): no duplicate check then. */
  hash: string | null;
  /** 16×16 grey pixels (quality/near-identical.ts), when the image was decoded. */
  thumb?: Uint8Array;
  error?: string;
}

export interface ConvertProblem {
  severity: 'error' | 'warning';
  code: string;
  path: string | null;
  message: string;
  /** What --fix / the wizard's checkbox would do about it, when something can be done. */
  fix?: string;
}

export interface Progress {
  phase: 'listing' | 'checking' | 'writing';
  done: number;
  total: number;
}
