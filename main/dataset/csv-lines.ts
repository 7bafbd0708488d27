/**
 * csv-parse's stream parser, its records handed on in batches — one per chunk of input — each record with the line
 * it ends on (what its `info` option gives as `info.lines`), without `info`: that option builds two objects of a
 * dozen fields per record, half of the parse time on a 200k-row table (profiled: 1.6 of 3.3 s, plus the garbage).
 * csv-parse pushes each record synchronously while it parses a chunk, so its live counter read at push time is the
 * number `info` would have copied. Batches, because a stream read per record (a promise, an iterator result and the
 * consumer's own generators) cost more than the parse itself on a million rows.
 */
import { Readable, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { type Options, Parser } from 'csv-parse';

export interface LineBatch<T> {
  records: T[];
  /** lines[i]: records[i]'s line in the file (1-based; a record with a multi-line cell: its last line). */
  lines: number[];
}

export class LineParser<T = string[]> extends Parser {
  private batch: LineBatch<T> = { records: [], lines: [] };

  constructor(options: Omit<Options, 'info' | 'raw' | 'objname'>) {
    super(options);
  }

  override push(record: unknown, encoding?: BufferEncoding): boolean {
    if (record === null) {
      this.handOn();
      return super.push(null, encoding);
    }
    this.batch.records.push(record as T);
    this.batch.lines.push(this.info.lines);
    return true;
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, callback: TransformCallback): void {
    super._transform(chunk, encoding, (err) => {
      this.handOn();
      callback(err);
    });
  }

  override _flush(callback: TransformCallback): void {
    super._flush((err) => {
      this.handOn();
      callback(err);
    });
  }

  private handOn(): void {
    if (this.batch.records.length === 0) return;
    super.push(this.batch);
    this.batch = { records: [], lines: [] };
  }

  /** The batches, as the async iterable a stream is (typed). */
  batches(): AsyncIterable<LineBatch<T>> {
    return this as AsyncIterable<LineBatch<T>>;
  }
}

/**
 * A table's line is a row of short cells; a line of 16 megabytes is a file that is not a table (or one with its line
 * breaks lost), and reading on would hold all of it in memory.
 */
export const MAX_LINE_CHARS = 16 << 20;
const tooLong = (line: number) =>
  `row ${line} is longer than ${MAX_LINE_CHARS / 2 ** 20} MB with no line break: this is not a table of rows`;

export interface TableReadOptions {
  delimiter: string;
  /** csv-parse's `trim`: spaces (String.prototype.trim's set, as csv-parse's) around each cell are dropped. */
  trim: boolean;
}

/**
 * A table's records in batches, each with its line: what LineParser with `{ bom, delimiter, skip_empty_lines,
 * relax_column_count, trim }` gives. Text with no quote and no carriage return is split here, on line breaks and
 * delimiters: without either, those are all CSV's grammar has, and csv-parse took 1.2 of 2.0 s to list a 1M-row
 * table that splitting reads in 0.25. From the first chunk that holds a quote or a carriage return on, csv-parse
 * reads the rest, starting at the line that chunk's text begins with.
 */
export async function* tableRecords(input: AsyncIterable<Buffer>, options: TableReadOptions): AsyncGenerator<LineBatch<string[]>> {
  const chunks = input[Symbol.asyncIterator]();
  try {
    yield* splitRecords(chunks, options);
  } finally {
    // A reader that stops early (a cancelled conversion) closes the file instead of leaving it to the collector.
    await chunks.return?.();
  }
}

async function* splitRecords(chunks: AsyncIterator<Buffer>, options: TableReadOptions): AsyncGenerator<LineBatch<string[]>> {
  const { delimiter, trim } = options;
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 0;
  let started = false;
  /** Chunks of a line still without its break: joined once the break comes (joining each time is quadratic). */
  const open: string[] = [];
  let openLength = 0;
  for (;;) {
    const next = await chunks.next();
    const decoded = next.done ? decoder.end() : decoder.write(next.value);
    if (!next.done && started && !decoded.includes('\n') && !decoded.includes('"') && !decoded.includes('\r')) {
      open.push(decoded);
      openLength += decoded.length;
      if (pending.length + openLength > MAX_LINE_CHARS) throw new Error(tooLong(line + 1));
      continue;
    }
    let text = pending + open.join('') + decoded;
    open.length = 0;
    openLength = 0;
    if (!started && text.length > 0) {
      started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.includes('"') || text.includes('\r')) {
      yield* parsedRest(text, chunks, decoder, line, options);
      return;
    }
    const batch: LineBatch<string[]> = { records: [], lines: [] };
    let start = 0;
    for (;;) {
      let end = text.indexOf('\n', start);
      if (end < 0) {
        if (!next.done || start >= text.length) break;
        end = text.length;
      }
      line++;
      const s = text.slice(start, end);
      start = end + 1;
      // A blank line is skipped (with trim, a line of spaces too), not one of empty cells between delimiters.
      if (s.length === 0 || (trim && s.indexOf(delimiter) < 0 && s.trim() === '')) continue;
      const cells = s.split(delimiter);
      if (trim) for (let i = 0; i < cells.length; i++) cells[i] = cells[i]!.trim();
      batch.records.push(cells);
      batch.lines.push(line);
    }
    if (batch.records.length > 0) yield batch;
    if (next.done) return;
    pending = text.slice(start);
    if (pending.length > MAX_LINE_CHARS) throw new Error(tooLong(line + 1));
  }
}

/** The rest of the input (`text` decoded, then what `chunks` still holds) through csv-parse, `line` lines on. */
async function* parsedRest(
  text: string,
  chunks: AsyncIterator<Buffer>,
  decoder: StringDecoder,
  line: number,
  { delimiter, trim }: TableReadOptions,
): AsyncGenerator<LineBatch<string[]>> {
  async function* rest() {
    if (text) yield text;
    for (;;) {
      const next = await chunks.next();
      const s = next.done ? decoder.end() : decoder.write(next.value);
      if (s) yield s;
      if (next.done) return;
    }
  }
  // Past the first line break csv-parse would have settled on "\n" as the record delimiter, and a carriage return
  // met later is a cell's character to it: so it is here.
  const parser = new LineParser({
    max_record_size: MAX_LINE_CHARS,
    bom: line === 0,
    delimiter,
    skip_empty_lines: true,
    relax_column_count: true,
    trim,
    ...(line > 0 ? { record_delimiter: '\n' } : {}),
  });
  // pipe() does not pass a source's error on: unheard, a failed read would end the process and leave the parser
  // waiting. The parser's iterator rejects with it instead.
  const source = Readable.from(rest());
  source.on('error', (e) => parser.destroy(e));
  source.pipe(parser);
  try {
    for await (const batch of parser.batches()) {
      if (line > 0) for (let i = 0; i < batch.lines.length; i++) batch.lines[i]! += line;
      yield batch;
    }
  } finally {
    source.destroy();
  }
}
