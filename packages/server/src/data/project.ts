import { columnReadResidue, fieldsWithReadRules } from '../rls/policy.js';
import type { Requester } from '../rls/requester.js';
import { residueHolds } from '../rls/residue.js';
import type { TableDefinition } from '../tables/definition.js';
import type { DataRecord } from './row-codec.js';

/**
 * §4.5 step 18: fields whose `read` rule is false for this requester on this row are left out silently
 * (read, list, and the bodies of create/update). `select` (§7.11) narrows further; system fields stay.
 */
export function projectRecord(table: TableDefinition, requester: Requester, record: DataRecord, select?: Set<string>): DataRecord {
  const out = { ...record };
  if (requester.group !== 'admin') {
    for (const field of fieldsWithReadRules(table.policy)) {
      if (Object.hasOwn(out, field) && !residueHolds(columnReadResidue(table.policy, requester, field), requester, record.createdBy)) delete out[field];
    }
  }
  if (select) {
    for (const key of Object.keys(out)) {
      if (!select.has(key) && key !== 'id' && key !== 'createdBy' && key !== 'createdAt' && key !== 'updatedAt') delete out[key];
    }
  }
  return out;
}
