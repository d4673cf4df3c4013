import type { TemplateProblem } from '../../../src/admin/api.ts';

const FIELDS: Readonly<Record<string, string>> = { content: 'Content', subject: 'Subject', fromAddress: 'From address', backend: 'Backend', recipients: 'Recipients', attachments: 'Attachments' };

/** Errors (which block saving) and warnings, each with its field and line. */
export function Problems({ errors, warnings }: { errors: readonly TemplateProblem[]; warnings: readonly TemplateProblem[] }) {
  if (errors.length === 0 && warnings.length === 0) return null;
  const line = (p: TemplateProblem) => `${FIELDS[p.field] ?? p.field}${p.line === undefined ? '' : `, line ${p.line}`}: ${p.message}`;
  return (
    <div className="problems">
      {errors.length > 0 && (
        <ul className="alert error" aria-label="Errors">
          {errors.map((p, i) => (
            <li key={i}>{line(p)}</li>
          ))}
        </ul>
      )}
      {warnings.length > 0 && (
        <ul className="alert warning" aria-label="Warnings">
          {warnings.map((p, i) => (
            <li key={i}>{line(p)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
