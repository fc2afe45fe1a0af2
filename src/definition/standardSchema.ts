/**
 * Standard Schema v1 (https://standardschema.dev), the interface zod ≥ 3.24, valibot ≥ 1,
 * arktype ≥ 2 and others implement. Copied, as the spec recommends, so that any validator
 * (and any copy of zod) works without sagaflow depending on it at the type level.
 */

/** A validator that implements Standard Schema v1. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

/** The types of the Standard Schema v1 spec: issues, results, and the `~standard` property. */
// The spec's own shape: a namespace keeps the names it documents.
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace StandardSchemaV1 {
  /** The Standard Schema properties of a validator. */
  export interface Props<Input = unknown, Output = Input> {
    /** The version of the spec: 1. */
    readonly version: 1;
    /** The library that made the schema, e.g. 'zod'. */
    readonly vendor: string;
    /** Validates a value; may be async. */
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    /** The inferred types (type-level only). */
    readonly types?: Types<Input, Output> | undefined;
  }
  /** What `validate` returns. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  /** A valid value, possibly transformed. */
  export interface SuccessResult<Output> {
    /** The validated (and possibly transformed) value. */
    readonly value: Output;
    /** Absent on success. */
    readonly issues?: undefined;
  }
  /** An invalid value. */
  export interface FailureResult {
    /** What is wrong, at least one. */
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One problem with a value. */
  export interface Issue {
    /** What is wrong, for a person. */
    readonly message: string;
    /** Where in the value. */
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** One step of an issue's path. */
  export interface PathSegment {
    /** The key of this step. */
    readonly key: PropertyKey;
  }
  /** The types a schema accepts and produces. */
  export interface Types<Input = unknown, Output = Input> {
    /** What the schema accepts. */
    readonly input: Input;
    /** What the schema produces. */
    readonly output: Output;
  }
  /** The type a schema accepts. */
  export type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input'];
  /** The type a schema produces. */
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

/** True for any object that carries Standard Schema v1 properties. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const props = (value as { '~standard'?: { version?: unknown; validate?: unknown } })['~standard'];
  return typeof props === 'object' && props !== null && props.version === 1 && typeof props.validate === 'function';
}

/** An issue as `path: message`, the path dotted (`(root)` for the value itself). */
export function describeIssue(issue: StandardSchemaV1.Issue): string {
  const path = (issue.path ?? []).map((p) => String(typeof p === 'object' && p !== null ? p.key : p)).join('.');
  return `${path || '(root)'}: ${issue.message}`;
}

/** Validates with a Standard Schema: the value, or the issues (at least one). */
export async function validateWith<Output>(schema: StandardSchemaV1<unknown, Output>, value: unknown): Promise<StandardSchemaV1.Result<Output>> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  return result;
}
