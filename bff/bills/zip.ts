// Streaming a bill ZIP through fflate's Unzip, shared by the channels whose bills come zipped (Alipay, UnionPay):
// each entry is offered to the parser, which takes its bytes or lets them drop, and what the parser makes of them
// is handed on as each downloaded chunk inflates. Memory stays bounded by one chunk's inflated size.

import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { BillError } from './types.ts';

/** Takes an entry's inflated bytes (`final` on its last piece); what it throws fails the whole bill. */
export type EntryReader = (data: Uint8Array, final: boolean) => void;

/**
 * Inflates `chunks` as they arrive and yields, after each chunk, what the entry readers pushed into `out`. `open` is
 * called once per entry: it answers a reader for the entries the parser wants, undefined for the rest (read and
 * dropped). A damaged ZIP, or anything `open` or a reader throws, ends the iteration with that error.
 */
export async function* unzipEntries<T>(chunks: AsyncIterable<Uint8Array>, open: (file: UnzipFile, out: T[]) => EntryReader | undefined): AsyncGenerator<T, void> {
  let failure: unknown;
  const out: T[] = [];
  const unzip = new Unzip((file) => {
    let reader: EntryReader | undefined;
    try {
      reader = failure === undefined ? open(file, out) : undefined;
    } catch (error) {
      failure = error;
    }
    file.ondata = (error, data, final) => {
      if (failure !== undefined || reader === undefined) return;
      try {
        if (error) throw new BillError('bad_zip', `entry ${file.name}: ${error.message}`);
        reader(data, final);
      } catch (caught) {
        failure = caught;
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);

  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      unzip.push(chunk, final);
    } catch (error) {
      if (failure === undefined) failure = new BillError('bad_zip', `the ZIP is damaged: ${(error as Error).message}`);
    }
    if (failure !== undefined) throw failure;
  };
  for await (const chunk of chunks) {
    push(chunk, false);
    yield* out.splice(0);
  }
  push(new Uint8Array(0), true);
  yield* out.splice(0);
}
