/**
 * csv-parse's stream parser, its records handed on in batches — one per chunk of input — each record with the line
 * it ends on (what its `info` option gives as `info.lines`), without `info`: that option builds two objects of a
 * dozen fields per record, half of the parse time on a 200k-row table (profiled: 1.6 of 3.3 s, plus the garbage).
 * csv-parse pushes each record synchronously while it parses a chunk, so its live counter read at push time is the
 * number `info` would have copied. Batches, because a stream read per record (a promise, an iterator result and the
 * consumer's own generators) cost more than the parse itself on a million rows.
 */
import type { TransformCallback } from 'node:stream';
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
