/**
 * Decoding the program's events from a transaction's logs.
 *
 * Anchor's `emit!` logs an event as `Program data: <base64>`: the event's
 * 8-byte discriminator (the IDL's `events[].discriminator`), then its Borsh
 * body (the IDL type of the same name). Every event and its decoder is in
 * the generated `ZERO_LOSS_EVENTS`. Logs of an instruction run natively
 * (program-test) carry the same line behind `Program log: `; both are read.
 */
import { type ReadonlyUint8Array, getBase64Encoder } from '@solana/kit';
import { ZERO_LOSS_EVENTS, type ZeroLossEvent, type ZeroLossEventName } from './generated/events';

export { ZERO_LOSS_EVENTS, type ZeroLossEvent, type ZeroLossEventName };

const PREFIX = 'Program data: ';

/** The bytes of every `Program data:` line in `logs`, in order. */
export function programDataOf(logs: readonly string[]): ReadonlyUint8Array[] {
  const out: ReadonlyUint8Array[] = [];
  for (const line of logs) {
    const l = line.startsWith('Program log: ') ? line.slice('Program log: '.length) : line;
    if (l.startsWith(PREFIX)) out.push(getBase64Encoder().encode(l.slice(PREFIX.length).trim()));
  }
  return out;
}

function startsWith(bytes: ReadonlyUint8Array, prefix: ReadonlyUint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/**
 * Decodes one event from its bytes (discriminator + body); `null` when no
 * event of the program has that discriminator. Throws when the
 * discriminator matches but the body does not decode completely.
 */
export function decodeZeroLossEvent(bytes: ReadonlyUint8Array): ZeroLossEvent | null {
  for (const e of ZERO_LOSS_EVENTS) {
    if (!startsWith(bytes, e.discriminator)) continue;
    const [data, end] = e.decoder.read(bytes, e.discriminator.length);
    if (end !== bytes.length) {
      throw new Error(`${e.name}: ${bytes.length - end} bytes left after the event`);
    }
    return { name: e.name, data } as ZeroLossEvent;
  }
  return null;
}

/** The result of reading a transaction's logs. */
export type DecodedLogs = {
  /** The program's events, in log order. */
  events: ZeroLossEvent[];
  /** `Program data:` lines that are not an event of this program. */
  unknown: ReadonlyUint8Array[];
};

/**
 * Every `Program data:` line of `logs`, decoded. Lines that are no event
 * of this program (another program's data) are returned in `unknown`.
 */
export function decodeZeroLossEvents(logs: readonly string[]): DecodedLogs {
  const events: ZeroLossEvent[] = [];
  const unknown: ReadonlyUint8Array[] = [];
  for (const bytes of programDataOf(logs)) {
    const e = decodeZeroLossEvent(bytes);
    if (e) events.push(e);
    else unknown.push(bytes);
  }
  return { events, unknown };
}

/** The data of the event named `N`. */
export type ZeroLossEventData<N extends ZeroLossEventName> = Extract<
  ZeroLossEvent,
  { name: N }
>['data'];

/** The events named `name` in `events`, their data typed. */
export function eventsNamed<N extends ZeroLossEventName>(
  events: readonly ZeroLossEvent[],
  name: N,
): ZeroLossEventData<N>[] {
  return events
    .filter((e) => e.name === name)
    .map((e) => e.data as unknown as ZeroLossEventData<N>);
}
