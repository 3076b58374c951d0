/**
 * Naming a refused call's error.
 *
 * The program's errors are Anchor custom errors: code `6000 + n` in
 * `InstructionError(index, Custom(code))`. The generated module has a
 * constant for each (`ZERO_LOSS_ERROR__ORACLE_STALE`, ...), its message
 * (`getZeroLossErrorMessage`, outside production builds) and, for errors
 * from an RPC send, `isZeroLossError`. These helpers add the error's IDL
 * name and read the code out of a kit `SolanaError`.
 *
 * A custom code means the program's error only when the failing
 * instruction is one of the program's (another program, such as SPL Token,
 * has its own custom codes): check the instruction index.
 */
import {
  SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM,
  type SolanaError,
  isSolanaError,
} from '@solana/kit';
import { ZERO_LOSS_ERROR_CONSTANTS, ZERO_LOSS_ERROR_NAMES } from './generated/errorNames';
import { type ZeroLossError, getZeroLossErrorMessage } from './generated/errors';

export { ZERO_LOSS_ERROR_CONSTANTS, ZERO_LOSS_ERROR_NAMES };

/** Whether `code` is one of the program's error codes. */
export function isZeroLossErrorCode(code: number): code is ZeroLossError {
  return Object.prototype.hasOwnProperty.call(ZERO_LOSS_ERROR_NAMES, code);
}

/** A program error, described. */
export type ZeroLossErrorInfo = {
  code: ZeroLossError;
  /** The IDL name, e.g. `OracleStale`. */
  name: string;
  /** The generated constant's name, e.g. `ZERO_LOSS_ERROR__ORACLE_STALE`. */
  constant: string;
  /** The program's message (empty when `NODE_ENV` is `production`). */
  message: string;
};

/** The program error with code `code`, or `null` if it is not one. */
export function describeZeroLossError(code: number): ZeroLossErrorInfo | null {
  if (!isZeroLossErrorCode(code)) return null;
  return {
    code,
    name: ZERO_LOSS_ERROR_NAMES[code],
    constant: ZERO_LOSS_ERROR_CONSTANTS[code],
    message: getZeroLossErrorMessage(code) ?? '',
  };
}

/**
 * The custom error code and failing instruction index in a kit error (an
 * RPC send or simulation failure), looking through its `cause` chain;
 * `null` when it holds none.
 */
export function customErrorOf(error: unknown): { code: number; index: number } | null {
  for (let e: unknown = error, depth = 0; e && depth < 8; depth++) {
    if (isSolanaError(e, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM)) {
      const ctx = (e as SolanaError<typeof SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM>).context;
      return { code: Number(ctx.code), index: Number(ctx.index) };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
