import type { SourceKind } from '../hub-event';
import { createDebeziumDecoder } from './debezium-decoder';
import type { Decoder, DecoderOptions } from './decoder';
import { resolveDecoderLimits } from './decoder';
import { createSegmentDecoder } from './segment-decoder';
import { createTelemetryDecoder } from './telemetry-decoder';

export type DecoderLookup = Readonly<Record<SourceKind, Decoder>>;

/** One decoder per wire format, sharing one set of limits; invalid options throw `ConfigError`. */
export function createDecoders(options: DecoderOptions = {}): DecoderLookup {
  const limits = resolveDecoderLimits(options);
  return Object.freeze({
    segment: createSegmentDecoder(limits),
    cdc: createDebeziumDecoder(limits),
    telemetry: createTelemetryDecoder(limits),
  });
}
