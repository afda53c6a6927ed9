import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { currentUser } from '../http/auth-policy.js';
import { requestMeta } from '../http/request-meta.js';
import { Email, errorResponses, MessageResponse, Pagination, pageQuery } from '../http/schemas.js';
import { invitationsCaller } from './caller.js';
import { createInvitation } from './create-invitation.js';
import { getInvitation, listInvitationsFor, revokeInvitation } from './manage-invitations.js';
import { InvitationSchema } from './present.js';
import { acceptInvitation, rejectInvitation } from './respond.js';
import { switchOrganization } from './switch-organization.js';
import { literals } from '../users/schema-literals.js';

const tags = ['invitations'];
// decisions.md §5: an opaque resource id ≤ 128 chars; roles `[a-z0-9_-]{1,32}`.
const ResourceId = Type.String({ minLength: 1, maxLength: 128 });
const Token = Type.String({ maxLength: 256 });

/** 401 before 400 (STYLE §5): the credential check runs before the body is parsed and validated. */
async function requireCredentials(request: FastifyRequest): Promise<void> {
  invitationsCaller(request);
}

/** Organizations and invitations (A09, A22–A27) — registered in app.ts under /v1/auth. */
export function invitationRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/switch-organization', {
      config: { auth: 'user' },
      schema: {
        operationId: 'switchOrganization',
        tags,
        summary: 'A09 — switch the session to an organization the user is a member of (new pair with `org`)',
        body: Type.Object({ organizationId: ResourceId }),
        response: { 200: Type.Ref('TokenResponse'), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { user, session } = currentUser(request);
        return switchOrganization(ctx, { user, sessionId: session.id }, request.body.organizationId, requestMeta(request));
      },
    });

    app.post('/invitations', {
      config: { auth: 'key' },
      onRequest: requireCredentials,
      schema: {
        operationId: 'createInvitation',
        tags,
        summary: 'A22 — invite an email to an organization or project (sends the `invitation` email)',
        body: Type.Object({
          resourceType: literals(['organization', 'project'] as const),
          resourceId: ResourceId,
          resourceName: Type.Optional(Type.String({ maxLength: 200 })),
          email: Email,
          name: Type.Optional(Type.String({ maxLength: 100 })),
          resourceRole: Type.String({ pattern: '^[a-z0-9_-]{1,32}$' }),
          inviterName: Type.Optional(Type.String({ maxLength: 100 })),
          callbackUrl: Type.Optional(Type.String({ maxLength: 2048 })),
        }),
        response: { 201: InvitationSchema, ...errorResponses(400, 401, 403) },
      },
      handler: async (request, reply) => reply.code(201).send(await createInvitation(ctx, invitationsCaller(request), request.body)),
    });

    app.get('/invitations', {
      config: { auth: 'key' },
      onRequest: requireCredentials,
      schema: {
        operationId: 'listInvitations',
        tags,
        summary: 'A23 — invitations I sent, addressed to me, or of resources I manage (admins: all)',
        querystring: Type.Composite([
          Type.Object({
            resourceType: Type.Optional(literals(['user', 'organization', 'project'])),
            resourceId: Type.Optional(ResourceId),
            status: Type.Optional(literals(['pending', 'accepted', 'rejected', 'expired', 'revoked'])),
          }),
          pageQuery(10),
        ]),
        response: { 200: Type.Object({ items: Type.Array(InvitationSchema), pagination: Pagination }), ...errorResponses(400, 401) },
      },
      handler: async (request) => listInvitationsFor(ctx, invitationsCaller(request), request.query),
    });

    // Literal paths before the parameterised one (auth-api.md §6.1 routing note).
    app.post('/invitations/accept', {
      config: { auth: 'key' },
      schema: {
        operationId: 'acceptInvitation',
        tags,
        summary: 'A25 — accept an invitation with its token (no JWT needed)',
        body: Type.Object({ token: Token, email: Type.Optional(Email) }),
        response: { 200: InvitationSchema, ...errorResponses(400, 401, 404) },
      },
      handler: async (request) => acceptInvitation(ctx, request.body, request.caller.user),
    });

    app.post('/invitations/reject', {
      config: { auth: 'key' },
      schema: {
        operationId: 'rejectInvitation',
        tags,
        summary: 'A26 — decline an invitation with its token and the invited email',
        body: Type.Object({ token: Token, email: Email }),
        response: { 200: Type.Object({}), ...errorResponses(400, 401, 404) },
      },
      handler: async (request) => {
        await rejectInvitation(ctx, request.body);
        return {};
      },
    });

    app.get('/invitations/:invitationId', {
      config: { auth: 'key' },
      onRequest: requireCredentials,
      schema: {
        operationId: 'getInvitation',
        tags,
        summary: 'A24 — one invitation visible to the caller',
        params: Type.Object({ invitationId: Type.String({ maxLength: 64 }) }),
        response: { 200: InvitationSchema, ...errorResponses(400, 401, 404) },
      },
      handler: async (request) => getInvitation(ctx, invitationsCaller(request), request.params.invitationId),
    });

    app.delete('/invitations/:invitationId', {
      config: { auth: 'key' },
      onRequest: requireCredentials,
      schema: {
        operationId: 'revokeInvitation',
        tags,
        summary: 'A27 — revoke a pending invitation (inviter, resource owner/admin, or admin)',
        params: Type.Object({ invitationId: Type.String({ maxLength: 64 }) }),
        response: { 200: MessageResponse, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => {
        await revokeInvitation(ctx, invitationsCaller(request), request.params.invitationId);
        return { message: 'Invitation revoked' };
      },
    });
  };
}
