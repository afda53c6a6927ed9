import { iso } from '../clock.js';
import type { AppContext } from '../context.js';
import { readSetting, writeSetting } from '../settings/queries.js';
import { IMPLICIT_ID } from './principal.js';

/**
 * The one organization / project / environment of a deployment (decisions.md §1): ids `default`.
 * The project's name, slug, description and settings are editable labels kept in `settings`.
 */
const SETTING_KEY = 'mcp.project';

interface StoredProject {
  name: string;
  slug: string;
  description: string | null;
  settings: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export const SINGLE_ENVIRONMENT_MESSAGE = 'single-environment deployment: run another Latch for another environment';

async function stored(ctx: AppContext): Promise<StoredProject> {
  const found = await readSetting<StoredProject>(ctx.db, SETTING_KEY);
  if (found) return found;
  const now = ctx.clock.now();
  const fresh: StoredProject = { name: 'Latch', slug: 'default', description: null, settings: {}, createdAt: now, updatedAt: now };
  await writeSetting(ctx.db, SETTING_KEY, fresh, now);
  return fresh;
}

export async function getOrganization(ctx: AppContext) {
  const project = await stored(ctx);
  return { id: IMPLICIT_ID, name: project.name, projectCount: 1, createdAt: iso(project.createdAt)!, updatedAt: iso(project.updatedAt)! };
}

export async function getProject(ctx: AppContext) {
  const project = await stored(ctx);
  return {
    id: IMPLICIT_ID,
    organizationId: IMPLICIT_ID,
    slug: project.slug,
    name: project.name,
    description: project.description,
    settings: project.settings,
    primaryCloud: 'self-hosted',
    primaryRegion: 'self-hosted',
    environmentCount: 1,
    createdAt: iso(project.createdAt)!,
    updatedAt: iso(project.updatedAt)!,
  };
}

export async function updateProject(
  ctx: AppContext,
  patch: { name?: string; slug?: string; description?: string | null; settings?: Record<string, unknown> },
) {
  const current = await stored(ctx);
  const now = ctx.clock.now();
  const next: StoredProject = {
    ...current,
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.slug !== undefined ? { slug: patch.slug } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.settings !== undefined ? { settings: patch.settings } : {}),
    updatedAt: now,
  };
  await writeSetting(ctx.db, SETTING_KEY, next, now);
  return getProject(ctx);
}

/** The environment's name follows NODE_ENV (production → prod, anything else → dev). */
export async function getEnvironment(ctx: AppContext) {
  const project = await stored(ctx);
  const type = ctx.config.nodeEnv === 'production' ? 'prod' : ctx.config.nodeEnv === 'staging' ? 'staging' : 'dev';
  return {
    id: IMPLICIT_ID,
    projectId: IMPLICIT_ID,
    environment: type,
    name: type,
    environmentType: type,
    status: 'deployed',
    apiEndpoint: ctx.config.publicUrl,
    createdAt: iso(project.createdAt)!,
    updatedAt: iso(project.updatedAt)!,
  };
}
