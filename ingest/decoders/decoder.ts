/**
 * The contract every wire-format decoder fulfils, and the limits they share.
 *
 * A decoder never throws for bad input: one raw message yields one outcome per
 * event it carries (a Segment `/v1/batch` or a telemetry `readings` batch carry
 * many), and a bad event among good ones fails alone — the good ones still come
 * out. A throw from `decode` is a bug in the decoder, not bad data.
 */
import { ConfigError } from '../../graph-schema';
import type { DecodeError } from '../errors';
import type { HubEvent, RawMessage, SourceKind } from '../hub-event';

export type DecodeOutcome =
  | { readonly ok: true; readonly event: HubEvent }
  /** `index`: the event's place inside a batch envelope; absent when the whole message failed. */
  | { readonly ok: false; readonly error: DecodeError; readonly index?: number };

export interface Decoder {
  readonly source: SourceKind;
  decode(raw: RawMessage): DecodeOutcome[];
}

export interface DecoderOptions {
  /** Largest single Segment event in bytes (also each event inside a batch). Default 32 KiB, as the Segment HTTP API. */
  readonly maxEventBytes?: number;
  /** Largest raw message per source in bytes. Defaults: segment 500 KiB (a `/v1/batch`), cdc and telemetry 1 MiB. */
  readonly maxMessageBytes?: Partial<Record<SourceKind, number>>;
  /** Deepest nesting of objects/arrays accepted. Default 32. */
  readonly maxDepth?: number;
  /**
   * How far in the future an event time (after Segment's clock-skew correction) or a
   * CDC commit time may be, relative to when the hub received it. Default 24 h.
   * A version from the far future would win every later write, so it is rejected.
   */
  readonly maxClockSkewMs?: number;
}

export interface DecoderLimits {
  readonly maxEventBytes: number;
  readonly maxMessageBytes: Readonly<Record<SourceKind, number>>;
  readonly maxDepth: number;
  readonly maxClockSkewMs: number;
}

export const DEFAULT_DECODER_LIMITS: DecoderLimits = Object.freeze({
  maxEventBytes: 32 * 1024,
  maxMessageBytes: Object.freeze({ segment: 500 * 1024, cdc: 1024 * 1024, telemetry: 1024 * 1024 }),
  maxDepth: 32,
  maxClockSkewMs: 24 * 60 * 60 * 1000,
});

/** Explicit options over defaults; a bad value fails fast with the setting's name. */
export function resolveDecoderLimits(options: DecoderOptions = {}): DecoderLimits {
  const d = DEFAULT_DECODER_LIMITS;
  const bytes = options.maxMessageBytes ?? {};
  return {
    maxEventBytes: positiveInteger('decoders.maxEventBytes', options.maxEventBytes ?? d.maxEventBytes),
    maxMessageBytes: {
      segment: positiveInteger('decoders.maxMessageBytes.segment', bytes.segment ?? d.maxMessageBytes.segment),
      cdc: positiveInteger('decoders.maxMessageBytes.cdc', bytes.cdc ?? d.maxMessageBytes.cdc),
      telemetry: positiveInteger('decoders.maxMessageBytes.telemetry', bytes.telemetry ?? d.maxMessageBytes.telemetry),
    },
    maxDepth: positiveInteger('decoders.maxDepth', options.maxDepth ?? d.maxDepth),
    maxClockSkewMs: nonNegativeInteger('decoders.maxClockSkewMs', options.maxClockSkewMs ?? d.maxClockSkewMs),
  };
}

function positiveInteger(setting: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new ConfigError(setting, `expected a positive integer, got ${value}`);
  return value;
}

function nonNegativeInteger(setting: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(setting, `expected a non-negative integer, got ${value}`);
  }
  return value;
}
