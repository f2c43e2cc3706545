// Parsers for numeric command-line options: a value that is not a whole number in range is a usage
// error (exit 2, with what was wrong), never NaN handed on to a command.

import { InvalidArgumentError } from 'commander';

/** A parser for an option taking a whole number from `min` to `max`. */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const trimmed = value.trim();
    if (!/^[+-]?\d+$/.test(trimmed)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a whole number; write one from ${min} to ${max}.`);
    const number = Number(trimmed);
    if (!Number.isSafeInteger(number) || number < min || number > max) throw new InvalidArgumentError(`${trimmed} is out of range; write a whole number from ${min} to ${max}.`);
    return number;
  };
}
