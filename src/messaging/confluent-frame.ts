/**
 * The Confluent wire format of a record value: magic byte 0, the writer's schema id as a 4-byte
 * big-endian integer, then the Avro body. Read here and nowhere else.
 */
export interface ConfluentFrame {
  schemaId: number;
  body: Buffer;
}

const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

/** The frame, or undefined when the value is not Confluent-framed. */
export function readConfluentFrame(value: Buffer | null | undefined): ConfluentFrame | undefined {
  if (!value || value.length < HEADER_BYTES || value[0] !== MAGIC_BYTE) return undefined;
  return { schemaId: value.readInt32BE(1), body: value.subarray(HEADER_BYTES) };
}
