import { Type, type TLiteral, type TUnion } from '@sinclair/typebox';

/** A union of string literals whose static type is the union of the values (for enums in query and body). */
export function literals<T extends string>(values: readonly T[]): TUnion<TLiteral<T>[]> {
  return Type.Union(values.map((value) => Type.Literal(value))) as unknown as TUnion<TLiteral<T>[]>;
}
