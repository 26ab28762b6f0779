/** Small readers for untrusted JSON/YAML values; each names the file and the field it rejects. */
import { badInput } from '../errors.js';

export type Obj = Record<string, unknown>;

export class FieldReader {
  constructor(readonly file: string) {}

  error(field: string, problem: string): Error {
    return badInput(this.file, field, problem);
  }

  object(value: unknown, field: string): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.error(field, 'must be an object');
    return value as Obj;
  }

  array(value: unknown, field: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw this.error(field, 'must be a list');
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string' || value.length === 0) throw this.error(field, 'must be a non-empty string');
    if (value.length > 1024) throw this.error(field, 'is longer than 1024 characters');
    return value;
  }

  optionalString(value: unknown, field: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, field);
  }

  /** An integer in range; numeric strings are accepted because some clouds quote them. */
  integer(value: unknown, field: string, min: number, max: number): number {
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw this.error(field, `must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
    }
    return n;
  }
}
