import type { AppContext } from '../../context.js';
import { LocalDiskStore } from './local-disk-store.js';
import type { ObjectStore } from './object-store.js';

const stores = new WeakMap<AppContext['config'], ObjectStore>();

/** The deployment's object store: local disk under LATCH_STORAGE_DIR (config.md, decisions.md §6). */
export function avatarStore(ctx: Pick<AppContext, 'config'>): ObjectStore {
  let store = stores.get(ctx.config);
  if (!store) stores.set(ctx.config, (store = new LocalDiskStore(ctx.config.storageDir)));
  return store;
}
