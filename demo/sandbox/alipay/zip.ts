// A minimal ZIP writer for the sandbox's Alipay bill: Alipay names the entries in GBK without setting the UTF-8 flag
// (general purpose bit 11) (channel-protocols.md §2.9), which fflate cannot write (it flags every non-ASCII name as
// UTF-8), so the few headers are written here by the ZIP specification (PKWARE APPNOTE.TXT §4.3.7, §4.3.12, §4.3.16).

import { crc32, deflateRawSync } from 'node:zlib';
import { toBeijing } from '../../../shared/channels/beijing-time.ts';

export interface ZipEntry {
  /** The entry name's bytes exactly as they go into the headers (GBK for Alipay's bills). */
  readonly name: Uint8Array;
  readonly data: Uint8Array;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** 2.0: deflate (APPNOTE §4.4.3.2). */
const VERSION = 20;
const DEFLATE = 8;

/** MS-DOS date and time (APPNOTE §4.4.6) of an instant on the Beijing wall clock, where Alipay's files are made. */
function dosTime(at: Date): { time: number; date: number } {
  const local = toBeijing(at);
  const seconds = Math.floor(at.getTime() / 1000) % 60;
  return {
    time: (Math.floor(local.minutes / 60) << 11) | (local.minutes % 60 << 5) | (seconds >> 1),
    date: ((local.year - 1980) << 9) | (local.month << 5) | local.day,
  };
}

/**
 * The archive's bytes: each entry deflated, with sizes and CRC-32 in the local header (no data descriptor), flags 0
 * so readers decode the names by the archive's own code page, as Alipay's GBK names need.
 */
export function zipEntries(entries: readonly ZipEntry[], modified: Date): Uint8Array {
  const { time, date } = dosTime(modified);
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const compressed = deflateRawSync(entry.data);
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(0, 6); // flags: not bit 11 (UTF-8 names), not bit 3 (data descriptor)
    local.writeUInt16LE(DEFLATE, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(entry.name.length, 26);
    local.writeUInt16LE(0, 28);
    parts.push(local, entry.name, compressed);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(CENTRAL_HEADER, 0);
    header.writeUInt16LE(VERSION, 4); // made by: MS-DOS (upper byte 0), as a Windows zip tool would write it
    header.writeUInt16LE(VERSION, 6);
    header.writeUInt16LE(0, 8);
    header.writeUInt16LE(DEFLATE, 10);
    header.writeUInt16LE(time, 12);
    header.writeUInt16LE(date, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(compressed.length, 20);
    header.writeUInt32LE(entry.data.length, 24);
    header.writeUInt16LE(entry.name.length, 28);
    // extra length, comment length, disk number, internal and external attributes: all 0
    header.writeUInt32LE(offset, 42);
    central.push(header, entry.name);
    offset += local.length + entry.name.length + compressed.length;
  }
  const centralSize = central.reduce((total, part) => total + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
}
