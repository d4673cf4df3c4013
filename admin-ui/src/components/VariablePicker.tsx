import { useState } from 'react';
import type { VariableGroup } from '../../../src/admin/api.ts';

/**
 * The variables a template may use, from the models' schemas: click one to insert `{{ path }}`
 * where the cursor was. Recipients are listed per chosen channel; bulk templates have none.
 */
export function VariablePicker({ groups, bulk, channels, onInsert }: { groups: readonly VariableGroup[]; bulk: boolean; channels?: readonly string[]; onInsert(path: string): void }) {
  const [filter, setFilter] = useState('');
  const visible = groups.filter((g) => (bulk ? g.inBulk : true) && (g.channel === undefined || channels === undefined || channels.includes(g.channel)));
  const needle = filter.trim().toLowerCase();
  return (
    <section className="picker" aria-label="Variables">
      <h3>Variables</h3>
      <input type="search" placeholder="Filter variables" aria-label="Filter variables" value={filter} onChange={(e) => setFilter(e.target.value)} />
      {bulk && <p className="hint">Bulk templates send one message to everybody, so they have no recipient or contact.</p>}
      {visible.map((group) => {
        const fields = group.fields.filter((f) => !needle || `${group.root}.${f.path}`.toLowerCase().includes(needle));
        if (needle && fields.length === 0) return null;
        return (
          <details key={`${group.root}:${group.channel ?? ''}`} open={group.root === 'object' || needle !== ''}>
            <summary>{group.label}</summary>
            <ul>
              {fields.length === 0 && (
                <li>
                  <button type="button" className="variable" onClick={() => onInsert(group.root)}>
                    <code>{group.root}</code>
                  </button>
                  <span className="hint"> no schema: any field</span>
                </li>
              )}
              {fields.map((field) => (
                <li key={field.path} style={{ paddingLeft: `${(field.path.split('.').length - 1) * 0.9}em` }}>
                  <button type="button" className="variable" title={`Insert {{ ${group.root}.${field.path} }}`} onClick={() => onInsert(`${group.root}.${field.path}`)}>
                    <code>{`${group.root}.${field.path}`}</code>
                  </button>
                  {field.type && <span className="type">{field.type}</span>}
                </li>
              ))}
            </ul>
          </details>
        );
      })}
    </section>
  );
}
