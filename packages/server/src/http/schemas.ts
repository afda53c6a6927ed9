import { Type, type TSchema } from '@sinclair/typebox';

/** The error envelope (auth-api.md §3.1) as a response schema, so serialization keeps exactly these fields. */
export const ErrorResponse = Type.Object(
  {
    success: Type.Literal(false),
    statusCode: Type.Integer(),
    code: Type.String(),
    message: Type.String(),
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Object({}, { additionalProperties: true })),
    }),
  },
  { $id: 'ErrorResponse', description: 'Error envelope' },
);

const errorRef = Type.Ref('ErrorResponse');

/** Response schemas for the listed error statuses, plus 429 and 500, which any route may answer. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const status of [...statuses, 429, 500]) out[status] = errorRef;
  return out;
}

export const MessageResponse = Type.Object({ message: Type.String() });

export const TokenResponse = Type.Object(
  {
    accessToken: Type.String(),
    refreshToken: Type.String(),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer(),
    is_new_user: Type.Optional(Type.Boolean()),
  },
  { $id: 'TokenResponse' },
);

export const Pagination = Type.Object({
  page: Type.Integer(),
  limit: Type.Integer(),
  total: Type.Integer(),
  totalPages: Type.Integer(),
  hasNext: Type.Boolean(),
  hasPrev: Type.Boolean(),
});

export function pagination(page: number, limit: number, total: number) {
  const totalPages = Math.ceil(total / limit);
  return { page, limit, total, totalPages, hasNext: page < totalPages, hasPrev: page > 1 };
}

/**
 * `page` 1–1,000,000, `limit` 1–100 (auth-api.md §2, OP-43); out of range is a 400 on /v1/auth and
 * /v1/users. The page cap keeps the offset (page − 1) × limit far inside what SQLite and PostgreSQL
 * take as an integer (a page of 1e20 was a database error, answered 500).
 */
export const MAX_PAGE = 1_000_000;

export function pageQuery(defaultLimit: number) {
  return Type.Object({
    page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1 }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: defaultLimit }),
  });
}

export const Email = Type.String({ maxLength: 1024, description: 'Email address; trimmed, compared case-insensitively' });
/** A current password: non-empty, ≤ 128 (auth-api.md §5); the policy never applies to it. */
export const CurrentPassword = Type.String({ minLength: 1, maxLength: 128 });
/** A new password: the policy (§5) is checked by the handler so each failed rule is reported. */
export const NewPassword = Type.String({ maxLength: 4096 });
