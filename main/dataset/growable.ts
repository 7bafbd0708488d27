type TypedArrayCtor<T> = { new (length: number): T };
type NumericArray = Float64Array | Float32Array | Int32Array | Uint8Array;

/** An append-only typed array that doubles as it grows: columns of a 1M-row table without 1M objects. */
export class Growable<T extends NumericArray> {
  private buf: T;
  length = 0;
  constructor(
    private readonly ctor: TypedArrayCtor<T>,
    initial = 1024,
  ) {
    this.buf = new ctor(Math.max(1, initial));
  }
  push(value: number): void {
    if (this.length === this.buf.length) {
      const next = new this.ctor(this.buf.length * 2);
      (next as NumericArray).set(this.buf as NumericArray);
      this.buf = next;
    }
    this.buf[this.length++] = value;
  }
  /** The filled part, trimmed to length (a copy, so the builder's spare capacity is released). */
  finish(): T {
    return this.buf.slice(0, this.length) as T;
  }
}
