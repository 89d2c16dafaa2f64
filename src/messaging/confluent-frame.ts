import type { Type } from 'avsc';

/**
 * The Confluent wire format of a record value: magic byte 0, the writer's schema id as a 4-byte
 * big-endian integer, then the Avro body. Read and written here and nowhere else.
 */
export interface ConfluentFrame {
  schemaId: number;
  body: Buffer;
}

const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;
/** Values are framed into slabs of this size: one allocation per slab, not three per value. */
const SLAB_BYTES = 64 * 1024;

/** The frame, or undefined when the value is not Confluent-framed. */
export function readConfluentFrame(value: Buffer | null | undefined): ConfluentFrame | undefined {
  if (!value || value.length < HEADER_BYTES || value[0] !== MAGIC_BYTE) return undefined;
  return { schemaId: value.readInt32BE(1), body: value.subarray(HEADER_BYTES) };
}

export type FrameWriter = (schemaId: number, type: Type, payload: unknown) => Buffer;

/**
 * Writes framed values one after another into shared slabs; each value is a view of its slab.
 * The registry client's `encode` allocated a body, a 4-byte id and their concatenation for every
 * value, the largest part of the relay's encoding cost. A value larger than a slab gets a buffer
 * of its own. Throws what avsc throws for a payload that does not fit `type`.
 */
export function createFrameWriter(): FrameWriter {
  let slab = Buffer.allocUnsafe(SLAB_BYTES);
  let position = 0;
  return (schemaId, type, payload) => {
    if (slab.length - position <= HEADER_BYTES)
      [slab, position] = [Buffer.allocUnsafe(SLAB_BYTES), 0];
    // avsc writes the body after the header; a negative answer means the slab was too short.
    let end = type.encode(payload, slab, position + HEADER_BYTES);
    if (end < 0 && position > 0) {
      [slab, position] = [Buffer.allocUnsafe(SLAB_BYTES), 0];
      end = type.encode(payload, slab, HEADER_BYTES);
    }
    if (end < 0) {
      const body = type.toBuffer(payload);
      const value = Buffer.allocUnsafe(HEADER_BYTES + body.length);
      writeHeader(value, 0, schemaId);
      body.copy(value, HEADER_BYTES);
      return value;
    }
    writeHeader(slab, position, schemaId);
    const value = slab.subarray(position, end);
    position = end;
    return value;
  };
}

function writeHeader(target: Buffer, at: number, schemaId: number): void {
  target[at] = MAGIC_BYTE;
  target.writeInt32BE(schemaId, at + 1);
}
