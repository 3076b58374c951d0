/**
 * TypeScript client of the zero-loss program for @solana/kit.
 *
 * - `./generated`: the Codama client generated from the program's IDL
 *   (instructions, accounts, types, events' types, errors, PDAs).
 * - Hand-written helpers: PDAs (`pda`), health (`market`), bids with a
 *   price limit (`bid`), event decoding (`events`), error naming
 *   (`errors`), Pyth `PriceUpdateV2` accounts (`pyth`), the program's
 *   fixed-point arithmetic (`fixed`).
 */
export * from './generated';
export * from './generated/events';
export * from './generated/errorNames';
export * from './bid';
export * from './errors';
export * from './events';
export * from './fixed';
export * from './market';
export * from './pda';
export * from './pyth';
